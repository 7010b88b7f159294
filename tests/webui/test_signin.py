"""Signing in and out of the web app through its forms (real vault, in-process HTTP)."""

from __future__ import annotations

import time

from tests.webui.conftest import PASSWORD, csrf_of


def test_pages_send_the_browser_to_sign_in_and_back(site_client, people):
    answer = site_client.get("/?x=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/%3Fx%3D1"
    form = site_client.get("/signin?next=/")
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in form.headers["content-security-policy"]
    assert 'autocomplete="current-password"' in form.text

    wrong = site_client.post("/signin", data={"collar": "1234", "password": "nope", "next": "/"})
    assert wrong.status_code == 401
    assert "Wrong collar number" in wrong.text

    right = site_client.post("/signin", data={"collar": "1234", "password": PASSWORD, "next": "/cases"})
    assert right.status_code == 303
    assert right.headers["location"] == "/cases"
    home = site_client.get("/")
    assert home.status_code == 200
    assert "Jane Smith" in home.text


def test_the_sign_in_page_says_when_an_account_is_throttled(site_client, people):
    for _ in range(5):
        site_client.post("/signin", data={"collar": "1234", "password": "nope", "next": "/"})
    throttled = site_client.post("/signin", data={"collar": "1234", "password": PASSWORD, "next": "/"})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "Too many failed sign-ins for this account" in throttled.text


def test_sign_in_refuses_other_sites_and_open_redirects(site_client, people):
    cross = site_client.post(
        "/signin",
        data={"collar": "1234", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    away = site_client.post(
        "/signin", data={"collar": "1234", "password": PASSWORD, "next": "//evil.example/"}
    )
    assert away.headers["location"] == "/"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(sign_in, people):
    client = sign_in("1234")
    account = client.get("/account")
    assert account.status_code == 200
    refused = client.post("/signout/everywhere", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert client.get("/").status_code == 200
    done = client.post("/signout/everywhere", data={"csrf_token": csrf_of(account.text)})
    assert done.status_code == 303
    assert client.get("/").status_code == 303


def test_the_second_factor_is_asked_for_when_the_account_has_one(sign_in, site_client, vault, people):
    import pyotp

    client = sign_in("1234")
    secret, _ = vault.access.signin.totp_enrol(people.officer)
    vault.access.signin.totp_confirm(people.officer, pyotp.TOTP(secret).now())
    first = site_client.post("/signin", data={"collar": "1234", "password": PASSWORD, "next": "/"})
    assert first.status_code == 401
    assert 'name="totp"' in first.text
    client.close()
    # The next time step's code (one step of drift is accepted; the confirming one is spent).
    code = pyotp.TOTP(secret).at(time.time() + 30)
    second = site_client.post(
        "/signin", data={"collar": "1234", "password": PASSWORD, "totp": code, "next": "/"}
    )
    assert second.status_code == 303
    assert site_client.get("/").status_code == 200


def test_welsh_is_chosen_by_the_language_switch(site_client, people):
    page = site_client.get("/signin?lang=cy")
    assert page.status_code == 200
    assert '<html lang="cy">' in page.text
    assert "Mewngofnodi" in page.text and "Rhif coler" in page.text  # "Sign in", "Collar number"
    assert "exhibits_lang=cy" in page.headers["set-cookie"]
    site_client.cookies.set("exhibits_lang", "cy")
    assert "Mewngofnodi" in site_client.get("/signin").text  # remembered on later pages
