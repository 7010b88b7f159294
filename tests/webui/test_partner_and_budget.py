"""In Chromium: a defence lawyer sees only what was shared (with its expiry) and opens
nothing else; every page moves under 100 KB of compressed HTML, CSS and JavaScript; axe-core
finds no WCAG A/AA violation on any of them. With ``EXHIBITS_SCREENSHOTS=<dir>`` the pages
are also photographed for the documentation (``scripts/webui-screenshots``)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pyotp
import pytest

from exhibits.evidence.service import IngestRequest
from tests.conftest import ADMIN_PASSWORD
from tests.webui.browser import PHONE, axe_check, browser_sign_in, screenshot, transfer_budget

pytestmark = pytest.mark.slow
BUDGET = 100 * 1024
# Cumulative layout shift so far (no shift: sizes are fixed up front, fonts are the system's).
LAYOUT_SHIFT = """() => new Promise(done => {
    let total = 0;
    new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
        .observe({type: "layout-shift", buffered: true});
    setTimeout(() => done(total), 300);
})"""


@pytest.fixture
def busy_case(vault, people):
    """A case with 50+ exhibits (two pages) and a shared one."""
    case = vault.evidence.create_case(people.officer, "42/2024/901", "Disorder in the market square")
    outcomes = []
    for number in range(52):
        outcomes.append(
            vault.evidence.ingest_stream(
                people.officer,
                io.BytesIO(f"witness note {number}\n".encode()),
                f"note-{number:02d}.txt",
                IngestRequest(case=case.id, producer="PC 1234 Jane Smith", source="document"),
            )
        )
    return case, outcomes


def test_every_page_is_small_and_accessible(browser, site_server, busy_case):
    case, outcomes = busy_case
    exhibit = outcomes[0].exhibit_id
    pages = [
        ("home", "/"),
        ("case", f"/cases/{case.id}"),
        ("custody", f"/cases/{case.id}/custody"),
        ("upload", f"/cases/{case.id}/upload"),
        ("exhibit", f"/exhibits/{exhibit}"),
        ("account", "/account"),
    ]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        budget = transfer_budget(page)
        page.goto(site_server + "/signin")
        assert budget.total < BUDGET, budget.detail()
        axe_check(page)
        screenshot(page, "sign-in")
        browser_sign_in(page, site_server, "1234")
        for name, path in pages:
            # A fresh cache each time: the budget counts a first visit, static files included.
            cdp = context.new_cdp_session(page)
            cdp.send("Network.clearBrowserCache")
            budget.reset()
            page.goto(site_server + path)
            assert page.url.endswith(path), page.url
            page.wait_for_load_state("load")
            print(f"transfer {name}: {budget.total} bytes")
            assert budget.total < BUDGET, f"{name}: {budget.total} bytes ({budget.detail()})"
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
            assert page.evaluate(LAYOUT_SHIFT) < 0.01, f"{name}: the layout shifts as it loads"
            axe_check(page)
            screenshot(page, "upload-form" if name == "upload" else name)  # "upload": the journey's
        page.goto(site_server + f"/exhibits/{exhibit}")
        page.get_by_label("Why are you opening it?").select_option("Disclosure review")
        page.get_by_role("button", name="Open the evidence").click()
        page.wait_for_selector("text=Open the original file")
        axe_check(page)
    finally:
        context.close()


def test_defence_sees_only_what_was_shared(phone, site_server, vault, admin, people, busy_case):
    case, outcomes = busy_case
    vault.users.create_user(
        admin, collar="D200", name="Sam Counsel", roles=["defence"], password=ADMIN_PASSWORD
    )
    shared, unshared = outcomes[0], outcomes[1]
    vault.casefile.sharing.create(
        people.officer, case.id, "D200", exhibits=[shared.ref], expires_in=timedelta(days=5)
    )
    other = vault.evidence.create_case(people.officer, "42/2024/902", "Not shared at all")
    page = phone.new_page()
    page.goto(site_server + "/signin")
    page.get_by_label("Collar number").fill("D200")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Partners must use a second factor: set up the authenticator app on the way in.
    page.wait_for_url(re.compile(r"/signin/code"))
    axe_check(page)
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("dd.hash").first.inner_text()
    axe_check(page)
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(site_server + "/")
    axe_check(page)
    assert "42/2024/901" in page.content()
    assert "42/2024/902" not in page.content()
    page.get_by_role("link", name="42/2024/901").click()
    axe_check(page)
    screenshot(page, "partner-case")
    body = page.locator("main").inner_text()
    assert shared.ref in body and unshared.ref not in body
    assert "Shared with you until" in body
    assert "View only" in body
    page.get_by_role("link", name=shared.ref).click()
    page.get_by_label("Why are you opening it?").fill("Preparing the defence statement")
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    with page.expect_response(re.compile("/shared/.*/content/")) as answer:
        page.get_by_role("link", name="View the content").click()
    assert answer.value.status == 200
    assert answer.value.headers["cache-control"] == "no-store"

    # The police case page leads a partner to what was shared, and nothing unshared opens.
    page.goto(site_server + f"/cases/{case.id}")
    assert page.url == site_server + f"/shared/{case.id}"
    assert unshared.ref not in page.locator("main").inner_text()
    for path in (
        f"/cases/{other.id}",
        f"/exhibits/{unshared.exhibit_id}",
        f"/shared/{case.id}/content/{unshared.ref}?justification=x",
        f"/shared/{other.id}",
        f"/cases/{other.id}/upload",
        f"/exhibits/{shared.exhibit_id}/derivatives/{'0' * 64}",
    ):
        response = page.goto(site_server + path)
        assert response.status == 404, path
        assert "statement" not in page.content()
    axe_check(page)
    download = page.request.get(
        site_server + f"/shared/{case.id}/content/{shared.ref}?download=1&justification=x"
    )
    assert download.status == 403
