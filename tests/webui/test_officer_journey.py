"""The officer's journey in a real Chromium at phone size: sign in, upload a video over tus
while the signal drops (after at least 30% is sent) and comes back, see the exhibit ref,
play the video (Range requests), and read its custody trail; axe-core on every page."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from exhibits.evidence import queries
from tests.webui.browser import axe_check, browser_sign_in, screenshot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def phone_video(tmp_path_factory):
    """About 8 MB of H.264/AAC MP4, as a phone records it."""
    path = tmp_path_factory.mktemp("media") / "VID_20261122_031500.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "20", "-c:v", "libx264", "-preset", "ultrafast",
         "-b:v", "3M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", "-y", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


def test_officer_uploads_through_a_dropped_signal_plays_and_reads_custody(
    phone, site_server, vault, people, phone_video
):
    case = vault.evidence.create_case(people.officer, "42/2024/500", "Assault outside the Red Lion")
    size = phone_video.stat().st_size
    page = phone.new_page()
    tus_requests: list[tuple[str, str | None]] = []

    def on_request(request) -> None:
        if "/api/v1/uploads" in request.url:
            tus_requests.append((request.method, request.headers.get("upload-offset")))

    page.on("request", on_request)
    media_answers: list[int] = []
    page.on("response", lambda r: media_answers.append(r.status) if "/api/v1/content/" in r.url else None)

    page.goto(site_server + "/")
    axe_check(page)  # the sign-in page
    browser_sign_in(page, site_server, "1234")
    axe_check(page)  # home
    page.get_by_role("link", name="42/2024/500").click()
    axe_check(page)  # the case page
    page.get_by_role("link", name="Add evidence").click()
    page.wait_for_selector("#upload-form")
    axe_check(page)

    # A weak phone signal: 300 ms a round trip, so the upload takes a few seconds.
    cdp = phone.new_cdp_session(page)
    cdp.send("Network.enable")
    weak = {"latency": 300, "downloadThroughput": 4_000_000, "uploadThroughput": 2_000_000}

    def signal(present: bool) -> None:
        # The browser's own offline switch (navigator.onLine, online/offline events) and the
        # same on the emulated weak link, which would otherwise keep carrying bytes.
        phone.set_offline(not present)
        cdp.send("Network.emulateNetworkConditions", {"offline": not present, **weak})

    signal(True)
    page.get_by_label("Or choose files").set_input_files(str(phone_video))
    item = page.locator("#upload-list li").first
    page.wait_for_function(
        f"() => Number((document.querySelector('#upload-list li') || {{dataset: {{}}}}).dataset.sent || 0) >= {0.3 * size}",
        timeout=60_000,
    )
    signal(False)
    page.wait_for_timeout(2500)
    assert item.get_attribute("data-state") != "done"
    assert "Waiting for a signal" in item.locator(".state").inner_text()
    axe_check(page)  # the upload page mid-upload, offline
    signal(True)
    page.wait_for_function(
        "() => document.querySelector('#upload-list li').dataset.state === 'done'", timeout=120_000
    )
    ref = item.get_attribute("data-ref")
    screenshot(page, "upload")
    assert ref and ref in item.locator(".state").inner_text()

    # One upload, resumed from where it stopped (not started again).
    assert sum(1 for method, _ in tus_requests if method == "POST") == 1
    resumed = [int(offset) for method, offset in tus_requests if method == "PATCH" and offset]
    assert max(resumed) >= 0.3 * size
    exhibits, _ = queries.page_exhibits(vault, people.officer, case.id, limit=10)
    stored = next(e for e in exhibits if e.ref == ref)
    assert stored.sha256 == hashlib.sha256(phone_video.read_bytes()).hexdigest()
    assert stored.size == size

    # Play it: the justification first, then the player streams with Range requests.
    page.goto(site_server + f"/cases/{case.id}")
    page.get_by_role("link", name=ref).click()
    page.wait_for_selector("#f-reason")
    assert page.locator("video").count() == 0
    axe_check(page)
    page.get_by_label("Why are you opening it?").select_option("Investigation of this case")
    page.get_by_role("button", name="Open the evidence").click()
    video = page.locator("video")
    video.wait_for()
    axe_check(page)
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=30_000)
    assert page.evaluate("() => document.querySelector('video').duration") == pytest.approx(20, abs=0.5)
    page.evaluate("() => { document.querySelector('video').currentTime = 15; }")  # scrub
    page.wait_for_function("() => document.querySelector('video').currentTime >= 15", timeout=30_000)
    assert 206 in media_answers
    page.evaluate("() => document.querySelector('video').pause()")
    screenshot(page, "exhibit-player")

    # The custody trail on the exhibit page: ingested by the officer, opened with the reason.
    trail = page.locator("table").last.inner_text()
    assert "exhibit.ingest" in trail
    assert "exhibit.open" in trail
    assert "Investigation of this case" in trail
    assert "Jane Smith (1234)" in trail
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
