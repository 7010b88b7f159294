"""In Chromium: a member of the public submits dashcam footage through a request link on a
phone (in Welsh, then English), and an officer accepts it into a case. axe-core runs on every
page; the exhibit's SHA-256 must equal the file's, and a draft MG11 must exist."""

from __future__ import annotations

import hashlib
import re

from tests.portal.conftest import DASHCAM_ANSWERS, SUBMITTER
from tests.webui.browser import axe_check, browser_sign_in, screenshot, transfer_budget

BUDGET = 100 * 1024


def _shot(page, name: str) -> None:
    """With EXHIBITS_SCREENSHOTS=docs/screenshots (scripts/webui-screenshots tests/portal/test_browser.py)."""
    screenshot(page, f"portal-{name}")


def test_public_dashcam_submission_accepted_into_a_case(
    browser, phone, desktop, site_server, vault, people, case, dashcam_clip
):
    digest = hashlib.sha256(dashcam_clip.read_bytes()).hexdigest()

    # The officer asks for footage and gets a link to text to the witness.
    office = desktop.new_page()
    browser_sign_in(office, site_server, "1234")
    office.goto(f"{site_server}/portal/requests/new?case={case.id}")
    axe_check(office)
    office.get_by_role("button", name="Make the link").click()
    link = office.locator("#request-link").get_attribute("href")
    assert link and "/portal/s/pub_" in link
    axe_check(office)

    # The member of the public, on a phone, with no account.
    public = phone.new_page()
    budget = transfer_budget(public)
    public.goto(link + "?lang=cy")
    assert public.get_by_role("heading", name="2. Beth ddigwyddodd").is_visible()
    axe_check(public)
    assert budget.total < BUDGET, budget.detail()
    assert public.evaluate("document.documentElement.scrollWidth") <= 360
    public.goto(link + "?lang=en")
    public.get_by_label("Full name", exact=True).fill(SUBMITTER["name"])
    public.get_by_label("Email address").fill(SUBMITTER["email"])
    public.get_by_label("Telephone number").fill(SUBMITTER["phone"])
    public.get_by_label("Date of the incident").fill(DASHCAM_ANSWERS["offence_date"])
    public.get_by_label("Time of the incident").fill(DASHCAM_ANSWERS["offence_time"])
    public.get_by_label("Where it happened").fill(DASHCAM_ANSWERS["location"])
    public.get_by_label("Registration of the vehicle you are reporting").fill(DASHCAM_ANSWERS["vrm"])
    public.get_by_label("What happened", exact=True).fill(DASHCAM_ANSWERS["account"])
    public.get_by_role("button", name="Save and continue").click()
    public.wait_for_url(re.compile(r".*#files$"))

    public.get_by_label("Choose files").set_input_files(str(dashcam_clip))
    done = public.locator('#upload-list li[data-state="done"]')
    done.wait_for(timeout=30000)
    assert digest in done.inner_text()
    axe_check(public)
    _shot(public, "submission")

    assert public.evaluate("document.documentElement.scrollWidth") <= 360  # a SHA-256 must wrap
    public.get_by_label("I make this declaration").check()
    public.get_by_label("I am 18 or over").check()
    public.get_by_label("Yes").check()
    public.get_by_label("Type your full name to sign").fill(SUBMITTER["name"])
    public.get_by_role("button", name="Send to the police").click()
    public.get_by_role("heading", name="Evidence received").wait_for()
    assert digest in public.locator("table").inner_text()
    reference = public.locator("#receipt-reference").inner_text()
    axe_check(public)
    _shot(public, "receipt")
    public.goto(link)  # the link has done its job
    assert public.get_by_role("heading", name="This link no longer works").is_visible()

    # The officer triages it: the NIP clock is shown, and accepts it into the case.
    office.goto(f"{site_server}/portal/triage")
    axe_check(office)
    _shot(office, "triage")
    office.get_by_role("link", name=reference).click()
    assert "days left" in office.locator("#nip").inner_text()
    axe_check(office)
    office.get_by_role("button", name="Accept into the case").click()
    office.locator("#files .ref").wait_for()
    assert office.locator("#state").inner_text() == "accepted"
    axe_check(office)

    _, exhibits = vault.evidence.list_exhibits(people.officer, case.id)
    assert [(e.sha256, e.source) for e in exhibits] == [(digest, "public")]
    statements = vault.casefile.records.list(people.officer, case.id, form="MG11")
    assert [(s.state, s.data["exhibits_produced"]) for s in statements] == [("draft", [exhibits[0].ref])]
