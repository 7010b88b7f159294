"""The police and partner pages over in-process HTTP: what they show, what they log, and
that a partner sees only what was shared."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow
from exhibits.evidence.service import IngestRequest
from tests.webui.conftest import csrf_of


def _events(vault, action: str) -> int:
    with vault.reading() as session:
        return session.scalar(
            select(func.count()).select_from(CustodyEventRow).where(CustodyEventRow.action == action)
        )


@pytest.fixture
def case_with_exhibits(vault, people):
    case = vault.evidence.create_case(people.officer, "42/2024/77", "Burglary at the corner shop")
    refs = []
    for number in range(3):
        outcome = vault.evidence.ingest_stream(
            people.officer,
            io.BytesIO(f"statement {number}".encode()),
            f"statement-{number}.txt",
            IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
        )
        refs.append(outcome)
    return case, refs


def test_the_case_page_lists_exhibits_people_and_links(sign_in, case_with_exhibits):
    case, outcomes = case_with_exhibits
    client = sign_in("1234")
    home = client.get("/")
    assert home.status_code == 200
    assert "42/2024/77" in home.text
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    for outcome in outcomes:
        assert f'href="/exhibits/{outcome.exhibit_id}"' in page.text
    assert "Jane Smith (1234)" in page.text
    assert "officer in charge" in page.text
    trail = client.get(f"/cases/{case.id}/custody")
    assert trail.status_code == 200
    assert "exhibit.ingest" in trail.text


def test_the_case_page_paginates_at_fifty(sign_in, vault, people):
    case = vault.evidence.create_case(people.officer, "42/2024/78", "Many files")
    for number in range(51):
        vault.evidence.ingest_stream(
            people.officer,
            io.BytesIO(f"note {number}".encode()),
            f"n{number}.txt",
            IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
        )
    client = sign_in("1234")
    first = client.get(f"/cases/{case.id}")
    assert first.text.count('class="card"') == 50
    following = re.search(r'href="(/cases/[0-9a-f]+\?after=[^"]+)" rel="next"', first.text).group(1)
    second = client.get(following)
    assert second.status_code == 200
    assert second.text.count('class="card"') == 1


def test_evidence_opens_only_with_a_reason_which_is_logged(sign_in, vault, people, case_with_exhibits):
    _case, outcomes = case_with_exhibits
    exhibit_id = outcomes[0].exhibit_id
    client = sign_in("1234")
    page = client.get(f"/exhibits/{exhibit_id}")
    assert page.status_code == 200
    assert "/api/v1/content/" not in page.text  # nothing opens before the reason
    token = csrf_of(page.text)
    refused = client.post(f"/exhibits/{exhibit_id}/open", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "/api/v1/content/" not in refused.text
    before = _events(vault, "exhibit.open")
    opened = client.post(
        f"/exhibits/{exhibit_id}/open",
        data={"csrf_token": token, "reason": "Disclosure review", "justification": "checking the MG6C"},
    )
    assert opened.status_code == 200, opened.text
    link = re.search(r'href="(/api/v1/content/[^"]+)"', opened.text).group(1)
    content = client.get(link, headers={"Range": "bytes=0-4"})
    assert content.status_code == 206
    assert content.content == b"state"
    assert content.headers["cache-control"] == "no-store"
    assert _events(vault, "exhibit.open") > before
    _ref, trail = vault.custody.exhibit_trail(people.officer, _case.id, outcomes[0].ref)
    why = [e.leaf.get("justification") for e in trail if e.action == "exhibit.open"]
    assert "Disclosure review: checking the MG6C" in why
    # ... and the person reads it on the page's custody trail
    assert "exhibit.open" in client.get(f"/exhibits/{exhibit_id}").text


def test_forged_form_posts_are_refused(sign_in, case_with_exhibits):
    _case, outcomes = case_with_exhibits
    client = sign_in("1234")
    answer = client.post(f"/exhibits/{outcomes[0].exhibit_id}/open", data={"reason": "Disclosure review"})
    assert answer.status_code == 403


def test_an_outsider_sees_nothing_of_the_case(sign_in, case_with_exhibits):
    case, outcomes = case_with_exhibits
    client = sign_in("3456")
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/exhibits/{outcomes[0].exhibit_id}").status_code == 404
    assert "42/2024/77" not in client.get("/").text


def test_the_upload_page_offers_capture_and_files(sign_in, case_with_exhibits):
    case, _ = case_with_exhibits
    page = sign_in("1234").get(f"/cases/{case.id}/upload")
    assert page.status_code == 200
    assert 'capture="environment"' in page.text
    assert "vendor/tus.min.js" in page.text
    assert 'value="1234 Jane Smith"' in page.text


def test_static_files_are_versioned_and_cached(site, site_client):
    url = site.static.url("app.css")
    answer = site_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert "immutable" in answer.headers["cache-control"]
    assert answer.headers.get("content-encoding") == "gzip"
    assert site_client.get("/static/0000000000/app.css").status_code == 404


def test_partners_see_only_what_was_shared_with_expiry(sign_in, vault, admin, people, case_with_exhibits):
    case, outcomes = case_with_exhibits
    vault.users.create_user(
        admin, collar="D100", name="Dana Defence", roles=["defence"], password="correct horse battery staple"
    )
    shared_ref, unshared_ref = outcomes[0].ref, outcomes[1].ref
    vault.casefile.sharing.create(
        people.officer, case.id, "D100", exhibits=[shared_ref], expires_in=timedelta(days=3)
    )
    client = sign_in("D100")
    # Force policy wants a second factor from partners: set one up through the pages.
    assert client.get("/").headers["location"].startswith("/signin/code")
    setup = client.get("/signin/code")
    enrol = client.post(
        "/signin/code", data={"csrf_token": csrf_of(setup.text), "step": "enrol", "next": "/"}
    )
    secret = re.search(r'<dd class="hash">([A-Z2-7]+)</dd>', enrol.text).group(1)
    confirmed = client.post(
        "/signin/code",
        data={
            "csrf_token": csrf_of(setup.text),
            "step": "confirm",
            "next": "/",
            "code": pyotp.TOTP(secret).now(),
        },
    )
    assert confirmed.status_code == 303
    home = client.get("/")
    assert home.status_code == 200
    assert f'href="/shared/{case.id}"' in home.text
    shared = client.get(f"/shared/{case.id}")
    assert shared.status_code == 200
    assert shared_ref in shared.text and unshared_ref not in shared.text
    assert "Shared with you until" in shared.text
    item = client.get(f"/shared/{case.id}/items/{shared_ref}?justification=defence+review")
    assert item.status_code == 200
    view = client.get(f"/shared/{case.id}/content/{shared_ref}?justification=defence+review")
    assert view.status_code == 200
    assert view.content == b"statement 0"
    part = client.get(
        f"/shared/{case.id}/content/{shared_ref}?justification=defence+review",
        headers={"Range": "bytes=0-8", "Accept-Encoding": "gzip"},
    )
    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 0-8/11"
    assert "content-encoding" not in part.headers and part.content == b"statement"
    assert client.get(f"/shared/{case.id}/content/{unshared_ref}?justification=x").status_code == 404
    assert client.get(f"/shared/{case.id}/content/{shared_ref}?download=1&justification=x").status_code == 403
    assert client.get(f"/cases/{case.id}").headers["location"] == f"/shared/{case.id}"
    assert client.get(f"/exhibits/{outcomes[1].exhibit_id}").status_code == 404


def test_home_lists_what_needs_attention(sign_in, vault, people, tmp_path):
    from exhibits.redaction.service import ProposalInputs
    from tests.redaction.media import make_statement_pdf

    case = vault.evidence.create_case(people.officer, "42/2024/640", "Harassment by text message")
    path = tmp_path / "statement.pdf"
    make_statement_pdf(path)
    request = IngestRequest(case=case.id, producer="PC 1234 Jane Smith", source="phone")
    (outcome,) = vault.evidence.ingest_paths(people.officer, [path], request)
    created = vault.redaction.create_set(people.officer, case.id, outcome.ref, "CPS charging file")
    vault.redaction.propose(people.officer, created.id, ["text"], ProposalInputs(terms=["07700 900123"]))
    vault.users.create_user(
        people.admin,
        collar="C300",
        name="Pat Crown",
        roles=["prosecutor"],
        password="correct horse battery staple",
    )
    vault.casefile.sharing.create(
        people.officer, case.id, "C300", exhibits=[outcome.ref], expires_in=timedelta(days=2)
    )
    home = sign_in("1234").get("/")
    assert "Needs your attention" in home.text
    assert f'href="/redaction/{created.id}"' in home.text
    assert "proposed redaction" in home.text and "await" in home.text
    assert "the share with Pat Crown (C300) ends" in home.text
