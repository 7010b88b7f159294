"""Signing in: sessions and their cookie, CSRF, idle timeout, TOTP with force policy, API tokens,
sign out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from tests.conftest import ADMIN_PASSWORD


def sign_in(client, collar: str, password: str = ADMIN_PASSWORD, **extra):
    return client.post("/api/v1/auth/login", json={"collar": collar, "password": password, **extra})


def test_a_session_cookie_is_secure_and_state_changes_need_the_csrf_token(client, people, vault, event_count):
    response = sign_in(client, "1234")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    csrf = response.json()["csrf_token"]
    assert client.get("/api/v1/auth/session").json()["collar"] == "1234"

    before = event_count()
    refused = client.post("/api/v1/cases", json={"crime_ref": "42/1/26", "title": "Theft"})
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:exhibits:problem:csrf-failed"
    form = client.post("/api/v1/cases", data={"crime_ref": "42/1/26", "title": "Theft"})
    assert form.status_code == 403  # a form post without its csrf_token field
    assert event_count() == before  # nothing changed, nothing logged
    assert vault.evidence.list_cases(people.officer) == []

    cross_site = client.post(
        "/api/v1/cases",
        json={"crime_ref": "42/1/26", "title": "Theft"},
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    ok = client.post(
        "/api/v1/cases", json={"crime_ref": "42/1/26", "title": "Theft"}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 201


def test_a_form_post_carries_its_csrf_token_as_a_field(client, people):
    csrf = sign_in(client, "1234").json()["csrf_token"]
    response = client.post("/api/v1/auth/logout", data={"csrf_token": csrf})
    assert response.status_code == 204
    assert client.get("/api/v1/auth/session").status_code == 401


def test_wrong_passwords_are_refused_and_logged(client, people, event_count):
    before = event_count(action="auth.sign_in_refused")
    response = sign_in(client, "1234", password="not the password at all")
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong collar number or password"
    assert (
        sign_in(client, "NOSUCH", password="whatever it is").json()["detail"]
        == "wrong collar number or password"
    )
    assert event_count(action="auth.sign_in_refused") == before + 1  # the real account's failure


def test_an_account_takes_no_more_guesses_after_five_failures_in_fifteen_minutes(
    client, people, vault, event_count
):
    for _ in range(4):
        assert sign_in(client, "1234", password="a wrong guess").status_code == 401
    assert sign_in(client, "1234").status_code == 200  # a success clears the failures before it
    for _ in range(5):
        assert sign_in(client, "1234", password="a wrong guess").status_code == 401

    throttled = sign_in(client, "1234")  # even the right password is not tried now
    assert throttled.status_code == 429
    assert throttled.headers["content-type"].startswith("application/problem+json")
    assert throttled.json()["type"] == "urn:exhibits:problem:too-many-requests"
    assert "try again in 15 minutes" in throttled.json()["detail"]
    assert 800 < int(throttled.headers["retry-after"]) <= 15 * 60 + 1
    assert event_count(action="auth.sign_in_throttled") == 1
    assert sign_in(client, "2345").status_code == 200  # other accounts are not affected

    real_now = vault.now
    vault.now = lambda: real_now() + timedelta(minutes=10)
    try:  # attempts while throttled do not extend the wait
        assert sign_in(client, "1234").status_code == 429
        vault.now = lambda: real_now() + timedelta(minutes=15, seconds=5)
        assert sign_in(client, "1234").status_code == 200
    finally:
        vault.now = real_now


def test_authenticator_code_guesses_are_throttled_too(client, vault, admin):
    csrf = {"X-CSRF-Token": sign_in(client, "ADMIN").json()["csrf_token"]}
    totp = pyotp.TOTP(client.post("/api/v1/auth/totp", headers=csrf).json()["secret"])
    assert (
        client.post("/api/v1/auth/totp/confirm", json={"code": totp.now()}, headers=csrf).status_code == 204
    )
    client.cookies.clear()
    valid = {totp.at(vault.now() + timedelta(seconds=s)) for s in (-60, -30, 0, 30, 60)}
    wrong = next(code for code in ("123456", "654321", "000001") if code not in valid)
    for _ in range(5):
        assert sign_in(client, "ADMIN", totp=wrong).status_code == 401
    assert sign_in(client, "ADMIN", totp=totp.at(vault.now() + timedelta(seconds=30))).status_code == 429


def test_sessions_end_after_the_idle_timeout(client, people, vault):
    assert sign_in(client, "1234").status_code == 200
    real_now = vault.now
    vault.now = lambda: real_now() + timedelta(minutes=31)
    try:
        response = client.get("/api/v1/auth/session")
    finally:
        vault.now = real_now
    assert response.status_code == 401
    assert "session has ended" in response.json()["detail"]


def test_policy_requires_a_second_factor_for_administrators(client, vault, admin):
    signed = sign_in(client, "ADMIN").json()
    assert signed["second_factor_needed"] is True
    csrf = {"X-CSRF-Token": signed["csrf_token"]}
    blocked = client.get("/api/v1/users")
    assert blocked.status_code == 403
    assert blocked.json()["type"] == "urn:exhibits:problem:second-factor-enrolment-required"

    enrolment = client.post("/api/v1/auth/totp", headers=csrf).json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(enrolment["secret"])
    assert client.post("/api/v1/auth/totp/confirm", json={"code": "000000"}, headers=csrf).status_code == 422
    assert (
        client.post("/api/v1/auth/totp/confirm", json={"code": totp.now()}, headers=csrf).status_code == 204
    )
    assert client.get("/api/v1/users").status_code == 200

    # Next time the code is asked for at sign-in, and a code is accepted once only.
    client.cookies.clear()
    assert sign_in(client, "ADMIN").json()["type"] == "urn:exhibits:problem:second-factor-required"
    code = totp.at(vault.now() + timedelta(seconds=30))  # the next step: the current one was used
    assert sign_in(client, "ADMIN", totp=code).status_code == 200
    client.cookies.clear()
    assert sign_in(client, "ADMIN", totp=code).status_code == 401  # replayed


def test_api_tokens_expire_and_can_be_revoked(client, people, vault, token_of, event_count):
    headers = token_of(people.officer)
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    listed = client.get("/api/v1/tokens", headers=headers).json()
    assert len(listed) == 1 and "token" not in listed[0]
    created = client.post("/api/v1/tokens", json={"name": "phone", "expires_in_days": 7}, headers=headers)
    assert created.status_code == 201
    phone = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/cases", headers=phone).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=headers).status_code == 204
    revoked = client.get("/api/v1/cases", headers=phone)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]

    real_now = vault.now
    vault.now = lambda: real_now() + timedelta(days=2)
    try:
        before = event_count()
        expired = client.get("/api/v1/cases", headers=headers)
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]
        assert event_count(action="auth.token_refused") >= 1 and event_count() == before + 1
    finally:
        vault.now = real_now
    with vault.reading() as session:
        from exhibits.access.models import ApiToken

        stored = [t.token_sha256 for t in session.query(ApiToken)]
    assert created.json()["token"] not in stored and all(len(h) == 64 for h in stored)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic dXNlcjpwYXNz", "Bearer exh_short'; DROP TABLE users;--", "Bearer " + "a" * 5000],
)
def test_malformed_credentials_are_unauthenticated(client, header):
    response = client.get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code in (401, 431)
    assert response.headers["content-type"] == "application/problem+json"


def test_sign_out_everywhere_revokes_sessions_tokens_and_links(client, vault, people, token_of):
    from fastapi.testclient import TestClient

    case = vault.evidence.create_case(people.officer, "42/55/26", "Criminal damage")
    import io

    from exhibits.evidence.service import IngestRequest

    outcome = vault.evidence.ingest_stream(
        people.officer,
        io.BytesIO(b"photo"),
        "p.jpg",
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
    )
    token = token_of(people.officer)
    link = client.post(
        f"/api/v1/exhibits/{outcome.exhibit_id}/access",
        json={"justification": "Reviewing for file"},
        headers=token,
    ).json()["url"]
    laptop = TestClient(client.app)
    sign_in(laptop, "1234")
    assert laptop.get("/api/v1/auth/session").status_code == 200

    lost = client.post("/api/v1/users/1234/signout-everywhere", headers=token_of(people.admin))
    assert lost.json() == {"sessions": 1, "tokens": 1, "content_links": 1}
    assert client.get("/api/v1/cases", headers=token).status_code == 401
    assert laptop.get("/api/v1/auth/session").status_code == 401
    assert client.get(link).status_code == 410
