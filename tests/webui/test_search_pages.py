"""Search pages: a transcript or OCR hit found in Chromium opens the exhibit at the second or
the page and box; only cases the user may see are searched; pages stay accessible and small."""

from __future__ import annotations

import re
import subprocess

import pytest

from exhibits.analysis.ocr import OcrProcessor
from exhibits.analysis.transcription import TranscriptionProcessor
from tests.search.conftest import ingest, media_files, record, transcript
from tests.webui.browser import axe_check, browser_sign_in, screenshot, transfer_budget

BUDGET = 100 * 1024


@pytest.fixture
def found(vault, people, tmp_path):
    """Two cases: a stop with body-worn video (transcribed) and a photo of a note (OCR); and a
    case the officer has no part in, whose words must never be found by the officer."""
    officer, investigator = people.officer, people.investigator
    vault.evidence.create_case(officer, "42/7001/26", "Possession of a bladed article")
    vault.evidence.create_case(investigator, "42/7002/26", "Robbery, Station Road")
    files = media_files(tmp_path)
    subprocess.run(  # five seconds of video, so that a hit can open it part way through
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=64x48:d=5",
            "-pix_fmt",
            "yuv420p",
            str(files["bwv.mp4"]),
        ],
        check=True,
    )
    bwv = ingest(vault, officer, files["bwv.mp4"], "42/7001/26", "PC 1234 Jane Smith", "Stop on High Street")
    photo = ingest(
        vault, officer, files["photo.png"], "42/7001/26", "PC 1234 Jane Smith", "Photo of a note", "phone"
    )
    other = ingest(vault, investigator, files["other.mp4"], "42/7002/26", "DC 2345 Amir Khan", "Interview")
    record(
        vault,
        bwv["sha256"],
        TranscriptionProcessor,
        transcript(
            (0.0, 4.0, "I stopped the vehicle on High Street"),
            (3.0, 4.5, "the driver had a kitchen knife in the door pocket"),
        ),
    )
    words = [
        ("Call", [10, 10, 40, 20], 0, 4),
        ("07700", [60, 10, 60, 20], 5, 10),
        ("900123", [130, 10, 70, 20], 11, 17),
    ]
    record(
        vault,
        photo["sha256"],
        OcrProcessor,
        {
            "pages": [
                {
                    "page": 1,
                    "dpi": 300,
                    "text": "Call 07700 900123",
                    "words": [
                        {"text": t, "box": b, "line": 0, "char_start": s, "char_end": e, "confidence": 0.9}
                        for t, b, s, e in words
                    ],
                }
            ]
        },
    )
    record(
        vault,
        other["sha256"],
        TranscriptionProcessor,
        transcript((0.0, 5.0, "another kitchen knife was never mentioned to the officer")),
    )
    return {"bwv": bwv, "photo": photo, "other": other}


def test_a_transcript_hit_opens_the_exhibit_at_the_second_it_was_said(phone, site_server, found, vault):
    page = phone.new_page()
    browser_sign_in(page, site_server, "1234")
    budget = transfer_budget(page)
    page.goto(site_server + "/search")
    axe_check(page)
    assert budget.total < BUDGET, budget.detail()
    page.get_by_label("Words, names, registrations, phone numbers").fill("kitchen knife")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q=kitchen"))
    hits = page.locator("ol.hits > li")
    assert hits.count() == 1  # the other case's interview is not the officer's to search
    assert "kitchen knife" in hits.first.inner_text()
    assert hits.first.locator("mark").all_inner_texts() == ["kitchen", "knife"]
    link = hits.first.get_by_role("link")
    assert link.inner_text().strip() == f"{found['bwv']['ref']} · at 0:03"
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "search")
    link.click()
    page.wait_for_url(re.compile(r"/exhibits/"))
    assert page.url.endswith(f"/exhibits/{found['bwv']['exhibit_id']}?t=3.00#t=3.00")
    # Opening it (with a reason) starts the player at the second the words were said.
    page.get_by_label("Why are you opening it?").select_option("Investigation of this case")
    page.get_by_role("button", name="Open the evidence").click()
    page.wait_for_function(
        "() => document.querySelector('video') && document.querySelector('video').readyState >= 1"
    )
    assert abs(page.evaluate("document.querySelector('video').currentTime") - 3.0) < 0.05


def test_an_ocr_hit_opens_the_page_at_the_box_and_registrations_numbers_match_any_spacing(
    desktop, site_server, found
):
    page = desktop.new_page()
    browser_sign_in(page, site_server, "1234")
    page.goto(site_server + "/search?q=%2B44+7700+900123")
    hits = page.locator("ol.hits > li")
    assert hits.count() >= 1
    first = hits.first
    assert "Text in pictures" in first.inner_text()
    href = first.get_by_role("link").get_attribute("href")
    # The line the number is on, in pixels of the page as read.
    place = "page=1&box=10,10,190,20"
    assert href == f"/exhibits/{found['photo']['exhibit_id']}?{place}#{place}"
    axe_check(page)


def test_the_search_form_pages_at_fifty_and_reports_bad_filters(sign_in, found, vault):
    client = sign_in("1234")
    answer = client.get("/search", params={"q": "kitchen", "from": "yesterday"})
    assert answer.status_code == 422
    assert "is a date such as" in answer.text
    answer = client.get("/search", params={"q": "kitchen", "page": "2"})
    assert answer.status_code == 200
    assert 'rel="prev"' in answer.text and 'rel="next"' not in answer.text
    assert answer.headers["cache-control"] == "no-store"
    # Each search is one consultation in the custody log, with what it returned.
    from sqlalchemy import select

    from exhibits.custody.models import CustodyEventRow

    with vault.reading() as session:
        actions = list(
            session.scalars(select(CustodyEventRow.action).where(CustodyEventRow.action == "search.query"))
        )
    assert len(actions) == 1  # the refused date range never reached the index
