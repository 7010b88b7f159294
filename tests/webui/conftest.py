"""Fixtures for the web app: the site on a real vault, in-process (``site_client``), signed-in
clients (``signed_in``), and over real HTTP for the browser tests (``site_server``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.webui.browser import *  # noqa: F403  (browser fixtures: chromium, page_at, axe)

PASSWORD = ADMIN_PASSWORD


@pytest.fixture
def site(vault):
    from exhibits.webui.site import create_site

    return create_site(vault)


@pytest.fixture
def site_client(site) -> Iterator:
    from fastapi.testclient import TestClient

    with TestClient(site, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def sign_in(site):
    """A new in-process client signed in through the sign-in form as ``collar``."""
    from fastapi.testclient import TestClient

    clients = []

    def make(collar: str, password: str = PASSWORD):
        client = TestClient(site, base_url="http://testserver", follow_redirects=False)
        clients.append(client)
        answer = client.post("/signin", data={"collar": collar, "password": password, "next": "/"})
        assert answer.status_code == 303, answer.text
        return client

    yield make
    for client in clients:
        client.close()
