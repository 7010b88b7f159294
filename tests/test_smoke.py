def test_cli_flow(cli, tmp_path):
    assert cli("case", "create", "42/19283/26", "--title", "Burglary, 14 High Street").exit_code == 0
    (tmp_path / "a.txt").write_text("statement")
    result = cli("add", str(tmp_path / "a.txt"), "--case", "42/19283/26", "--producer", "PC 1234 Jane Smith")
    assert result.exit_code == 0, result.stderr
    assert "JS/1" in cli("ls", "--case", "42/19283/26").stdout
    assert cli("verify").exit_code == 0
