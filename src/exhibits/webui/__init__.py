"""The web app: server-rendered pages for officers, investigators and partners, built on the
same services as the API (``create_site`` in ``site.py``; how to add pages: CONTRACT.md)."""
