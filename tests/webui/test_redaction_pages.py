"""Redaction review in Chromium: a set is started, faces are proposed on a real clip, the clip
opens after a justification with the masks drawn over it, items are accepted and rejected, a
box drawn by the reviewer is carried by the tracker, and a redacted copy is rendered."""

from __future__ import annotations

import re

import pytest

from exhibits.evidence.service import IngestRequest
from tests.redaction.media import make_video
from tests.webui.browser import axe_check, browser_sign_in, screenshot, transfer_budget

BUDGET = 100 * 1024
CASE = "42/8801/26"


@pytest.fixture
def clip_case(vault, people, tmp_path):
    """A case with a 1.2 s clip of a face walking across the frame."""
    vault.evidence.create_case(people.officer, CASE, "Assault, Market Square")
    case = vault.evidence.get_case(people.officer, CASE)
    clip = tmp_path / "bwv.mp4"
    make_video(clip)
    # Only what the review screen uses (its shape, the playable proxy) is planned: quick on 2 cores.
    vault.processing.settings.poll_seconds = 0.1
    vault.processing.settings.disabled = [
        "audio",
        "transcription",
        "entities",
        "redaction-faces",
        "redaction-plates",
    ]
    request = IngestRequest(
        case=CASE, producer="PC 1234 Jane Smith", source="bwv", description="Body-worn video"
    )
    (outcome,) = vault.evidence.ingest_paths(people.officer, [clip], request)
    return case, outcome


def _item(page, number: int):
    return page.locator(f"#item-{number}")


def test_review_a_clip_accept_reject_track_and_render(desktop, site_server, clip_case, vault, people):
    from exhibits.processing.worker import EmbeddedWorker

    case, outcome = clip_case
    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()  # probe and proxy, as in service
    (proxy,) = [d for d in vault.processing.derivatives(outcome.sha256) if d.kind == "proxy"]
    page = desktop.new_page()
    browser_sign_in(page, site_server, "1234")
    budget = transfer_budget(page)
    page.goto(f"{site_server}/cases/{case.id}")
    page.get_by_role("link", name="Redaction sets").click()
    page.wait_for_url(f"{site_server}/cases/{case.id}/redaction")
    axe_check(page)
    page.get_by_label("Exhibit", exact=True).select_option(outcome.ref)
    page.get_by_label("Purpose").fill("defence")
    page.get_by_role("button", name="Start redacting").click()
    page.wait_for_url(re.compile(r"/redaction/[0-9a-f]{32}\?done=created"))
    set_id = page.url.split("/redaction/")[1].split("?")[0]

    # Detection proposes the face as a track; nothing is redacted until a person says so.
    page.get_by_label("Faces").check()
    page.get_by_role("button", name="Find and propose").click()
    page.wait_for_url(re.compile(r"done=proposed"))
    assert "Proposed" in _item(page, 1).inner_text()
    assert page.get_by_role("button", name="Make the redacted copy from the original").is_disabled()

    # The clip opens only with a reason, which the custody log keeps.
    page.get_by_role("button", name="Open the clip to review").click()
    page.wait_for_url(re.compile(r"done=opened"))
    video = page.locator("#redaction-stage video")
    video.wait_for()
    # The stage holds the picture's shape from the start, and plays the proxy, not the original.
    assert page.locator("#redaction-stage").get_attribute("data-aspect") == "320/240"
    assert (
        page.evaluate("getComputedStyle(document.getElementById('redaction-stage')).aspectRatio")
        == "320 / 240"
    )
    page.wait_for_function("() => document.querySelector('#redaction-stage video').readyState >= 1")
    axe_check(page)
    budget.reset()
    page.reload()
    page.wait_for_function("() => document.querySelector('#redaction-stage video').readyState >= 1")
    assert budget.total < BUDGET, budget.detail()

    _item(page, 1).get_by_role("button", name="Accept").click()
    page.wait_for_url(re.compile(r"done=accepted"))
    assert "Accepted" in _item(page, 1).inner_text()
    # The accepted mask is painted over the face where the clip is now (its first frame).
    page.wait_for_function("() => document.querySelector('#redaction-stage video').readyState >= 2")
    track = vault.redaction.show(people.officer, set_id).items[0].geometry
    x, y, w, h = track["keyframes"][0][1:]
    alpha = page.evaluate(
        """([x, y]) => { const c = document.querySelector('#redaction-stage canvas');
            return c.getContext('2d').getImageData(Math.floor(x * c.width), Math.floor(y * c.height), 1, 1).data[3]; }""",
        [x + w / 2, y + h / 2],
    )
    assert alpha > 0

    # A box drawn by the reviewer is followed through the clip and accepted as it is made.
    add = page.locator("#add-box")
    add.get_by_label("Box: left, top, width, height").fill("0.70,0.70,0.20,0.15")
    add.get_by_label("Drawn at (seconds)").fill("0.5")
    add.get_by_label("Reason").select_option("plate")
    add.get_by_role("button", name="Add the box").click()
    page.wait_for_url(re.compile(r"done=tracked"))
    assert "Accepted" in _item(page, 2).inner_text()
    assert "found by tracker" in _item(page, 2).inner_text()

    _item(page, 2).get_by_role("button", name="Reject").click()
    page.wait_for_url(re.compile(r"done=rejected"))
    assert "Rejected" in _item(page, 2).inner_text()

    page.get_by_role("button", name="Make the redacted copy from the original").click()
    page.wait_for_url(re.compile(r"done=rendered"))
    view = vault.redaction.show(people.officer, set_id)
    assert [i.state for i in view.items] == ["accepted", "rejected"]
    (made,) = view.renders
    assert made.sha256 in page.locator("#renders").inner_text()
    assert made.parent_sha256 == outcome.sha256 and made.mime_type == "video/mp4"
    axe_check(page)
    page.set_viewport_size({"width": 360, "height": 740})  # the same screen on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_check(page)
    page.locator("#stage").scroll_into_view_if_needed()
    screenshot(page, "redaction-review")

    # The reviewer checks the copy itself (the masks are in its pixels now) and fetches its report.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Check the copy").click()
    page.wait_for_url(re.compile(r"done=opened-copy"))
    assert "Showing the redacted copy" in page.locator("#stage").inner_text()
    page.wait_for_function("() => document.querySelector('#redaction-stage video').readyState >= 2")
    assert page.locator("#redaction-stage canvas").count() == 0
    axe_check(page)
    with page.expect_response(lambda r: "/api/v1/content/g_" in r.url) as answer:
        page.get_by_role("button", name="Download the report (PDF)").click()
    report = answer.value
    assert report.status == 200 and report.headers["content-type"] == "application/pdf"
    assert report.headers["cache-control"] == "no-store"
    assert page.request.get(report.url).body().startswith(b"%PDF")  # (the page shows Chromium's viewer)

    _, events = vault.custody.exhibit_trail(people.officer, CASE, outcome.ref)
    actions = [e.action for e in events]
    assert "exhibit.open" in actions and "redaction.render" in actions
    opened = [e.leaf.get("sha256") for e in events if e.action == "exhibit.open"]
    assert opened == [proxy.sha256, made.sha256, made.report_pdf_sha256]  # each opening logged


def test_review_pages_refuse_outsiders_and_show_form_errors(sign_in, clip_case, vault, people):
    case, outcome = clip_case
    created = vault.redaction.create_set(people.officer, CASE, outcome.ref, "CPS charging file")
    outsider = sign_in("3456")
    assert outsider.get(f"/redaction/{created.id}").status_code == 404
    assert outsider.get(f"/cases/{case.id}/redaction").status_code == 404

    officer = sign_in("1234")
    page = officer.get(f"/redaction/{created.id}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    from tests.webui.conftest import csrf_of

    token = csrf_of(page.text)
    refused = officer.post(f"/redaction/{created.id}/add", data={"box": "0.1,0.2", "reason": "face"})
    assert refused.status_code == 403  # no CSRF token
    answer = officer.post(
        f"/redaction/{created.id}/add", data={"box": "0.1,0.2", "reason": "face", "csrf_token": token}
    )
    assert answer.status_code == 422
    assert "a box is four fractions" in answer.text
    assert vault.redaction.show(people.officer, created.id).items == []


def test_keep_adjust_decide_and_a_refused_render_through_the_forms(sign_in, clip_case, vault, people):
    _, outcome = clip_case
    service = vault.redaction
    created = service.create_set(people.officer, CASE, outcome.ref, "public appeal")
    service.propose(people.officer, created.id, ["faces"])
    officer = sign_in("1234")
    from tests.webui.conftest import csrf_of

    token = csrf_of(officer.get(f"/redaction/{created.id}").text)

    def post(action: str, **data):
        return officer.post(f"/redaction/{created.id}/{action}", data={**data, "csrf_token": token})

    refused = post("render")
    assert refused.status_code == 409 and "not reviewed yet" in refused.text
    unexplained = post("review", number="1", state="kept")
    assert unexplained.status_code == 422 and "say why it is not redacted" in unexplained.text
    kept = post("review", number="1", state="kept", note="the suspect: evidentially needed")
    assert kept.status_code == 303 and kept.headers["location"].endswith("?done=kept#item-1")
    moved = post("adjust", number="1", at="0.6", box="0.5,0.5,0.2,0.2", end="0.9")
    assert moved.status_code == 303
    decided = post("decision", note="nothing else personal in view")
    assert decided.status_code == 303
    view = service.show(people.officer, created.id)
    first, decision = view.items
    assert first.state == "kept" and first.note == "the suspect: evidentially needed"
    assert [0.6, 0.5, 0.5, 0.2, 0.2] in first.geometry["keyframes"] and first.geometry["end"] == 0.9
    assert decision.kind == "decision" and decision.note == "nothing else personal in view"
    page = officer.get(f"/redaction/{created.id}?done=decided")
    assert "The decision was recorded." in page.text and "Kept (not redacted)" in page.text


def test_a_document_set_lists_its_text_items_and_opens_in_the_browsers_viewer(
    sign_in, vault, people, tmp_path
):
    from exhibits.redaction.service import ProposalInputs
    from tests.redaction.media import make_statement_pdf
    from tests.webui.conftest import csrf_of

    vault.evidence.create_case(people.officer, CASE, "Assault, Market Square")
    path = tmp_path / "statement.pdf"
    make_statement_pdf(path)
    request = IngestRequest(case=CASE, producer="PC 1234 Jane Smith", source="phone")
    (outcome,) = vault.evidence.ingest_paths(people.officer, [path], request)
    created = vault.redaction.create_set(people.officer, CASE, outcome.ref, "CPS charging file")
    vault.redaction.propose(people.officer, created.id, ["text"], ProposalInputs(terms=["07700 900123"]))
    officer = sign_in("1234")
    page = officer.get(f"/redaction/{created.id}")
    assert "page 1: &#39;07700 900123&#39;" in page.text and 'name="page"' in page.text
    opened = officer.post(
        f"/redaction/{created.id}/open",
        data={"reason": "Disclosure review", "csrf_token": csrf_of(page.text)},
    )
    assert opened.status_code == 303
    page = officer.get(opened.headers["location"])
    link = re.search(r'<a href="(/api/v1/content/g_[^"]+)">Open the document \(PDF\)</a>', page.text)
    assert link and officer.get(link.group(1)).content.startswith(b"%PDF")
