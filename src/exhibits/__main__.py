from exhibits.cli import main

main()
