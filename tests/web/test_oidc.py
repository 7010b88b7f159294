"""Single sign-on: a real authorization-code + PKCE flow against a local OpenID Connect
provider (the npm package oidc-provider on the machine's Node.js)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.web.conftest import free_port

PROVIDER = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID, CLIENT_SECRET = "exhibits-test", "a-test-client-secret-of-decent-length"


@pytest.fixture
def oidc_provider(live_server, vault) -> Iterator[str]:
    node = shutil.which("node")
    if node is None or not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        message = "Node.js and tests/oidc/node_modules are needed (scripts/test runs npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    redirect = f"{live_server}/api/v1/auth/oidc/callback"
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": CLIENT_ID,
           "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_REDIRECT_URI": redirect}  # fmt: skip
    process = subprocess.Popen(
        [node, str(PROVIDER / "provider.mjs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    line = ""
    while "ready" not in line:
        line = process.stdout.readline()
        if not line and (process.poll() is not None or time.monotonic() > deadline):
            raise RuntimeError("the OIDC provider did not start")
    issuer = f"http://127.0.0.1:{port}"
    vault.settings.model_extra["oidc"] = {
        "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_url": redirect,
    }  # fmt: skip
    yield issuer
    process.terminate()
    process.wait(timeout=10)


def _submit_form(browser: httpx.Client, url: str, page: str, **fields: str) -> httpx.Response:
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form, page[:500]
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
    values.update(fields)
    return browser.post(urljoin(url, html.unescape(form.group(1))), data=values)


def sign_in_through_provider(browser: httpx.Client, live_server: str, login: str) -> httpx.Response:
    """Follow redirects as a browser would, filling the provider's login and consent pages;
    returns our server's answer to the callback."""
    response = browser.get(
        f"{live_server}/api/v1/auth/oidc/login", params={"return_to": "/api/v1/auth/session"}
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["response_type"] == ["code"] and query["nonce"][0] and query["state"][0]
    for _ in range(12):
        location = response.headers.get("location")
        if location is not None:
            url = urljoin(str(response.url), location)
            if url.startswith(f"{live_server}/api/v1/auth/oidc/callback"):
                return browser.get(url)
            response = browser.get(url)
            continue
        page = response.text
        url = str(response.url)
        if 'name="login"' in page:
            response = _submit_form(browser, url, page, login=login, password="anything")
        else:
            response = _submit_form(browser, url, page)
    raise AssertionError("the sign-in never came back to Exhibits")


def test_single_sign_on_with_pkce(oidc_provider, live_server, people, vault, event_count):
    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        callback = sign_in_through_provider(browser, live_server, login="1234")
        assert callback.status_code == 302, callback.text
        assert callback.headers["location"] == "/api/v1/auth/session"
        assert "exhibits_session=" in callback.headers["set-cookie"]
        session = browser.get(f"{live_server}/api/v1/auth/session").json()
        assert session["collar"] == "1234" and session["method"] == "oidc"
        replay = browser.get(str(callback.request.url))
        assert replay.status_code == 401  # the state was used once
    assert event_count(action="auth.identity_linked") == 1
    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        again = sign_in_through_provider(browser, live_server, login="1234")
        assert again.status_code == 302
    assert event_count(action="auth.identity_linked") == 1  # linked once, recognised after


def test_single_sign_on_without_an_account_is_refused(oidc_provider, live_server, people, event_count):
    before = event_count(action="auth.sign_in")
    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        refused = sign_in_through_provider(browser, live_server, login="7777")
        assert refused.status_code == 401
        assert "no Exhibits account" in refused.json()["detail"]
        assert browser.get(f"{live_server}/api/v1/auth/session").status_code == 401
    assert event_count(action="auth.sign_in") == before


def test_return_to_never_leaves_this_server(oidc_provider, live_server, vault):
    from sqlalchemy import select

    from exhibits.access.models import SignInFlow

    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            browser.get(f"{live_server}/api/v1/auth/oidc/login", params={"return_to": target})
    with vault.reading() as session:
        assert set(session.scalars(select(SignInFlow.return_to))) == {"/"}
