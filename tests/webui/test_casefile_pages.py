"""Case file pages in Chromium: an officer writes and signs an MG11 on a phone, puts exhibits on
the MG6C and shares with the CPS (expiry shown); the prosecutor, signed in with a second factor,
records a decision on an unused item; people with no part in the case see nothing."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import timedelta

import pyotp
import pytest

from exhibits.evidence.service import IngestRequest
from tests.conftest import ADMIN_PASSWORD
from tests.webui.browser import axe_check, browser_sign_in, screenshot, transfer_budget

BUDGET = 100 * 1024
CASE = "42/9901/26"


@pytest.fixture
def casefile_case(vault, people):
    admin = people.admin
    for collar, name, role, org in [
        ("CPS1", "Priya Prosecutor", "prosecutor", "CPS Thames and Chiltern"),
        ("DEF1", "Dan Defence", "defence", "Smith & Co Solicitors"),
    ]:
        vault.users.create_user(
            admin, collar=collar, name=name, roles=[role], password=ADMIN_PASSWORD, organisation=org
        )
    vault.evidence.create_case(people.officer, CASE, "Burglary, 14 High Street")
    case = vault.evidence.get_case(people.officer, CASE)
    refs = []
    for name, data in (
        ("bwv.mp4", b"\x00\x00\x00\x18ftypmp42" + b"body-worn video frames " * 200),
        ("cctv.mp4", b"\x00\x00\x00\x18ftypisom" + b"cctv frames from the shop " * 200),
    ):
        request = IngestRequest(case=CASE, producer="PC 1234 Jane Smith", source="bwv", description=name)
        refs.append(vault.evidence.ingest_stream(people.officer, io.BytesIO(data), name, request).ref)
    return case, refs


def test_an_officer_writes_and_signs_a_statement_schedules_unused_material_and_shares_it(
    phone, site_server, casefile_case, vault, people
):
    case, refs = casefile_case
    page = phone.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, site_server, "1234")
    budget = transfer_budget(page)
    page.goto(f"{site_server}/cases/{case.id}")
    budget.reset()
    page.get_by_role("link", name="Case file").click()
    page.wait_for_url(f"{site_server}/cases/{case.id}/casefile")
    axe_check(page)
    assert budget.total < BUDGET, budget.detail()

    page.get_by_label("Statement of").fill("Alice Witness")
    page.get_by_label("Occupation").fill("Shop manager")
    page.get_by_label("Statement", exact=True).fill(
        "At about 23:05 I saw a man force the door of 14 High Street."
    )
    page.get_by_role("checkbox", name=f"{refs[1]} · cctv.mp4").check()
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r"done=created"))
    (record,) = vault.casefile.records.list(people.officer, CASE, form="MG11")
    assert record.state == "draft" and record.data["exhibits_produced"] == [refs[1]]
    card = page.locator(f"#record-{record.id}")
    assert "Statement of Alice Witness" in card.inner_text()
    card.get_by_label("Signed by (the witness's full name)").fill("Alice Witness")
    card.get_by_role("button", name="Sign this version").click()
    page.wait_for_url(re.compile(r"done=signed"))
    signed = vault.casefile.records.get(people.officer, record.id)
    assert signed.state == "signed" and signed.signature["signed_by"] == "Alice Witness"
    assert "Signed by Alice Witness" in page.locator(f"#record-{record.id}").inner_text()
    screenshot(page, "case-file")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_check(page)

    budget.reset()
    page.get_by_role("link", name="Unused material").click()
    page.wait_for_load_state()
    assert budget.total < BUDGET, budget.detail()
    page.get_by_role("checkbox", name=f"{refs[0]} · bwv.mp4").check()
    page.get_by_role("button", name="Add to the schedule").click()
    page.wait_for_url(re.compile(r"done=added"))
    item = page.locator("#unused-1")
    assert "MG6C" in item.inner_text() and refs[0] in item.inner_text()
    axe_check(page)

    budget.reset()
    page.get_by_role("link", name="Shares").click()
    page.wait_for_load_state()
    assert budget.total < BUDGET, budget.detail()
    page.get_by_label("Partner's collar or user number").fill("CPS1")
    page.get_by_role("checkbox", name=f"{refs[0]} · bwv.mp4").check()
    page.get_by_label("MG6C", exact=True).check()
    page.get_by_label("Days until it expires").fill("14")
    page.get_by_role("button", name="Create the share").click()
    page.wait_for_url(re.compile(r"done=shared"))
    (share,) = vault.casefile.sharing.list(people.officer, CASE)
    shown = page.locator(f"#share-{share.id}").inner_text()
    assert "Priya Prosecutor (CPS1), CPS Thames and Chiltern" in shown
    assert "Active" in shown and "14 days left" in shown
    assert share.expires_at.strftime("%d %b %Y") in shown
    axe_check(page)
    page.locator(f"#share-{share.id}").scroll_into_view_if_needed()
    screenshot(page, "shares")

    page.get_by_label("Reason for revoking").fill("sent to the wrong lawyer")
    page.get_by_role("button", name="Revoke now").click()
    page.wait_for_url(re.compile(r"done=revoked"))
    assert "Revoked" in page.locator(f"#share-{share.id}").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert vault.casefile.sharing.list(people.officer, CASE)[0].revoked_at is not None


def _sign_in_with_code(page, base_url: str, collar: str, secret: str) -> None:
    page.goto(base_url + "/signin")
    page.get_by_label("Collar number").fill(collar)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authenticator code").wait_for()
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def test_the_prosecutor_decides_on_an_unused_item_through_the_share(
    desktop, site_server, casefile_case, vault, people
):
    case, refs = casefile_case
    vault.casefile.disclosure.add_exhibits(people.officer, CASE, [refs[0]])
    vault.casefile.sharing.create(
        people.officer, CASE, "CPS1", forms=["MG6C"], exhibits=[refs[0]], expires_in=timedelta(days=7)
    )
    prosecutor = vault.users.principal_for("CPS1", via="cli")
    secret, _ = vault.access.signin.totp_enrol(prosecutor)
    totp = pyotp.TOTP(secret)
    vault.access.signin.totp_confirm(prosecutor, totp.at(time.time() - totp.interval))  # leaves now's code
    page = desktop.new_page()
    page.set_default_timeout(10_000)
    _sign_in_with_code(page, site_server, "CPS1", secret)

    page.goto(f"{site_server}/cases/{case.id}/casefile/unused")
    axe_check(page)
    item = page.locator("#unused-1")
    item.get_by_label("Decision on item 1").select_option("D")
    item.get_by_label("Reason").fill("assists the defence: shows the door was already damaged")
    item.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r"done=decided"))
    assert "D: disclose to the defence" in page.locator("#unused-1").inner_text()
    (saved,) = vault.casefile.disclosure.schedule(prosecutor, CASE)
    assert saved.decision == "D"
    assert saved.history[-1]["reason"].startswith("assists the defence")
    assert saved.history[-1]["by"] == prosecutor.user_id
    # The prosecutor has no forms to write and no shares to manage.
    assert page.get_by_role("button", name="Add to the schedule").count() == 0
    axe_check(page)


def test_outsiders_see_no_case_file_bad_shares_are_explained_and_forms_render_as_pdf(
    sign_in, casefile_case, vault, people
):
    case, refs = casefile_case
    officer = sign_in("1234")
    pdf = officer.get(f"/cases/{case.id}/casefile/forms/MG12.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["cache-control"] == "no-store"
    # Someone with no part in the case is told it does not exist.
    outsider = sign_in("3456")
    for path in ("casefile", "casefile/unused", "casefile/shares"):
        assert outsider.get(f"/cases/{case.id}/{path}").status_code == 404
    assert officer.get(f"/cases/{case.id}/casefile/shares").status_code == 200
    # A bad share is explained on the form, and nothing is shared.
    from tests.webui.conftest import csrf_of

    token = csrf_of(officer.get(f"/cases/{case.id}/casefile/shares").text)
    answer = officer.post(
        f"/cases/{case.id}/casefile/shares", data={"partner": "1234", "exhibit": refs[0], "csrf_token": token}
    )
    assert answer.status_code == 422
    assert "is not an active prosecutor or defence user" in answer.text
    assert vault.casefile.sharing.list(people.officer, CASE) == []
    # An open bundle for the court comes back as a BagIt zip, and its export is in the log.
    bundle = officer.post(
        f"/cases/{case.id}/casefile/bundles", data={"recipient": "court", "csrf_token": token}
    )
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as bag:
        names = set(bag.namelist())
    assert {"bagit.txt", "manifest-sha256.txt", "exhibits-bundle.json"} <= {
        n.split("/", 1)[-1] for n in names
    }
    events = vault.custody.case_trail(people.officer, CASE)
    assert "bundle.export" in [e.action for e in events]


def _partner_client(site, vault, collar: str):
    """A partner signed in with their second factor (policy requires one of them)."""
    from fastapi.testclient import TestClient

    partner = vault.users.principal_for(collar, via="cli")
    secret, _ = vault.access.signin.totp_enrol(partner)
    totp = pyotp.TOTP(secret)
    vault.access.signin.totp_confirm(partner, totp.at(time.time() - totp.interval))
    client = TestClient(site, base_url="http://testserver", follow_redirects=False)
    answer = client.post(
        "/signin", data={"collar": collar, "password": ADMIN_PASSWORD, "totp": totp.now(), "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    return client


def test_partners_see_only_what_was_shared_with_them(site, casefile_case, vault, people):
    case, refs = casefile_case
    vault.casefile.disclosure.add_exhibits(people.officer, CASE, refs)
    defence = _partner_client(site, vault, "DEF1")
    with defence:
        for path in ("casefile", "casefile/unused", "casefile/shares"):
            assert defence.get(f"/cases/{case.id}/{path}").status_code == 404  # nothing shared yet
        vault.casefile.sharing.create(people.officer, CASE, "DEF1", forms=["MG6C"], exhibits=[refs[0]])
        unused = defence.get(f"/cases/{case.id}/casefile/unused")
        assert unused.status_code == 200
        assert "Item 1" in unused.text and "Item 2" in unused.text
        assert "Record the decision" not in unused.text and "Add to the schedule" not in unused.text
        forms = defence.get(f"/cases/{case.id}/casefile")
        assert forms.status_code == 200 and "New witness statement" not in forms.text
        assert defence.get(f"/cases/{case.id}/casefile/shares").status_code in (403, 404)
        assert defence.get(f"/cases/{case.id}/casefile/forms/MG6C.pdf").content.startswith(b"%PDF")
        assert defence.get(f"/cases/{case.id}/casefile/forms/MG12.pdf").status_code == 404
        assert defence.get(f"/cases/{case.id}/redaction").status_code == 404
