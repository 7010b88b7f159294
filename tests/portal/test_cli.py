"""``exhibits portal``: a request from the command line, a standing page, the queue, expiry."""

from __future__ import annotations

import json


def test_request_page_queue_and_expire(cli, vault, people, case):
    made = cli("portal", "request", "--case", case.id, "--base-url", "https://portal.example.police.uk", "--json",
               user="1234")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    result = json.loads(made.stdout)
    assert result["link"].startswith("https://portal.example.police.uk/portal/s/pub_")
    assert cli("portal", "page", "dashcam", user="1234").exit_code != 0  # officers do not open pages
    opened = cli("portal", "page", "dashcam", user="ADMIN")
    assert opened.exit_code == 0 and "open" in opened.stdout
    queue = cli("portal", "queue", "--status", "open", "--json", user="1234")
    assert [item["reference"] for item in json.loads(queue.stdout)] == [result["reference"]]
    expired = cli("portal", "expire")
    assert expired.exit_code == 0 and "closed 0" in expired.stdout


def test_the_link_uses_the_servers_public_address(cli, vault, people, case, monkeypatch):
    monkeypatch.setenv("EXHIBITS_API__PUBLIC_URL", "https://evidence.example.police.uk")
    made = cli("portal", "request", "--appeal", "Footage of the A470 incident", "--json", user="1234")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["link"].startswith("https://evidence.example.police.uk/portal/s/pub_")
