"""The sign-in page and home page in Chromium at phone size: accessible and within budget."""

from __future__ import annotations

from tests.webui.browser import axe_check, transfer_budget
from tests.webui.conftest import PASSWORD

BUDGET = 100 * 1024


def test_sign_in_in_a_phone_browser(phone, site_server, people):
    page = phone.new_page()
    budget = transfer_budget(page)
    page.goto(site_server + "/")
    assert page.url.endswith("/signin?next=/")
    axe_check(page)
    assert budget.total < BUDGET, budget.detail()
    page.get_by_label("Collar number").fill("1234")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site_server + "/")
    assert page.get_by_role("heading", name="My cases").is_visible()
    axe_check(page)
    # Nothing is wider than the phone: no sideways scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
