"""The retention queue in Chromium: a supervisor sees what is due (a no-further-action case past
its review), decides to dispose and carries it out; a hold blocks disposal; others are refused."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from exhibits.custody.models import CustodyEventRow
from exhibits.evidence.service import IngestRequest
from tests.conftest import ADMIN_PASSWORD
from tests.webui.browser import axe_check, browser_sign_in, screenshot, transfer_budget
from tests.webui.conftest import csrf_of

BUDGET = 100 * 1024


@pytest.fixture
def due(vault, people):
    """Two closed cases, each with one exhibit, both past their review date."""
    vault.users.create_user(
        people.admin, collar="5678", name="Sam Sergeant", roles=["supervisor"], password=ADMIN_PASSWORD
    )
    exhibits = {}
    for crime_ref, words in (("42/6601/26", "door frame photo"), ("42/6602/26", "till receipt")):
        vault.evidence.create_case(people.officer, crime_ref, f"Theft: {words}")
        request = IngestRequest(
            case=crime_ref, producer="PC 1234 Jane Smith", source="phone", description=words
        )
        outcome = vault.evidence.ingest_stream(
            people.officer, io.BytesIO(b"\xff\xd8\xff\xe0" + words.encode() * 50), "photo.jpg", request
        )
        vault.casefile.retention.record_outcome(people.officer, crime_ref, "nfa", date(2020, 1, 6))
        exhibits[crime_ref] = outcome
    return exhibits


def test_a_supervisor_reviews_the_queue_and_disposes_of_what_is_due(phone, site_server, due, vault):
    page = phone.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, site_server, "5678")
    budget = transfer_budget(page)
    page.goto(site_server + "/retention")
    axe_check(page)
    assert budget.total < BUDGET, budget.detail()
    assert "2 items are due for review." in page.locator("main").inner_text()
    target = due["42/6601/26"]
    item = page.locator(f"#due-{target.exhibit_id}")
    text = item.inner_text()
    supervisor = vault.users.principal_for("5678", via="cli")
    (queued,) = [i for i in vault.casefile.retention.queue(supervisor) if i.id == target.exhibit_id]
    assert "case 42/6601/26" in text and "door frame photo" in text
    assert queued.review_on.strftime("%d %b %Y") in text and queued.basis in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "retention")

    item.locator("summary", has_text="Decide").click()
    item.get_by_label("Dispose of it").check()
    item.get_by_label("Reasons").fill("NFA more than a year ago; nothing further expected")
    item.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r"done=dispose"))
    item = page.locator(f"#due-{target.exhibit_id}")
    assert "Decision: dispose" in item.inner_text()
    axe_check(page)

    item.locator("summary", has_text="Carry out the disposal").click()
    item.get_by_label("Reason", exact=True).fill("CPIA period over after no further action")
    item.get_by_label("Authority", exact=True).fill("CPIA Code para 5; NPCC 2021 review")
    item.get_by_role("button", name="Dispose of it now").click()
    page.wait_for_url(re.compile(r"done=disposed"))
    assert page.locator(f"#due-{target.exhibit_id}").count() == 0
    assert "1 item is due for review." in page.locator("main").inner_text()
    with vault.reading() as session:
        disposed = list(
            session.scalars(
                select(CustodyEventRow.exhibit_id).where(CustodyEventRow.action == "content.dispose")
            )
        )
    assert disposed == [target.exhibit_id]


def test_a_hold_blocks_disposal_and_the_queue_is_for_supervisors_only(sign_in, due, vault, people):
    vault.users.assign(people.officer, "42/6602/26", "5678", "viewer")  # a hold names a case one can see
    officer = sign_in("1234")
    assert officer.get("/retention").status_code == 403
    supervisor = sign_in("5678")
    token = csrf_of(supervisor.get("/retention").text)
    held = supervisor.post(
        "/retention/holds",
        data={"case": "42/6602/26", "kind": "appeal", "reason": "appeal lodged", "csrf_token": token},
    )
    assert held.status_code == 303
    target = due["42/6602/26"]
    decided = supervisor.post(
        "/retention/decisions",
        data={
            "subject": "exhibit",
            "subject_id": target.exhibit_id,
            "decision": "dispose",
            "reason": "period over",
            "csrf_token": token,
        },
    )
    assert decided.status_code == 303
    page = supervisor.get("/retention")
    assert "Appeal in progress" in page.text and "Carry out the disposal" not in page.text
    refused = supervisor.post(
        "/retention/disposals",
        data={
            "subject": "exhibit",
            "subject_id": target.exhibit_id,
            "reason": "period over",
            "authority": "CPIA",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 409 and "blocked by a hold" in refused.text
    retained = supervisor.post(
        "/retention/decisions",
        data={
            "subject": "exhibit",
            "subject_id": target.exhibit_id,
            "decision": "retain",
            "reason": "appeal",
            "csrf_token": token,
        },
    )
    assert retained.status_code == 422 and "date of the next review" in retained.text
