"""From capture to court in one vault: ingest, background processing, transcription, OCR,
entities, search, redaction proposals from the analysis, a bundle for the defence, and its
independent verification. Every capability through its real service, on real files."""

from __future__ import annotations

import json

import pytest

from exhibits.evidence.service import IngestRequest
from exhibits.processing.worker import EmbeddedWorker
from exhibits.vault.verify import verify_vault
from tests.analysis.conftest import SPEECH, STATEMENT, render_page, speak

CASE = "42/77001/26"
JANE = "PC 1234 Jane Smith"

pytestmark = pytest.mark.slow


@pytest.fixture
def officer(vault, admin):
    vault.users.create_user(admin, collar="1234", name="Jane Smith", roles=["officer"], password="x" * 16)
    officer = vault.users.principal_for("1234", via="cli")
    vault.evidence.create_case(officer, CASE, "Failing to stop, High Street", urn="42AB0000126")
    return officer


def test_capture_to_court(vault, officer, tmp_path):
    audio = speak(SPEECH, tmp_path / "bwv_audio.wav")
    page, _ = render_page(STATEMENT, tmp_path / "statement_scan.png")
    outcomes = vault.evidence.ingest_paths(
        officer, [audio, page], IngestRequest(case=CASE, producer=JANE, source="bwv")
    )
    refs = {o.mime_type: o.ref for o in outcomes}
    vault.processing.settings.poll_seconds = 0.1
    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()

    # Every applicable processor ran, and the custody trail shows the derivations.
    audio_ref = refs["audio/x-wav"]
    state = vault.processing.exhibit_processing_by_ref(officer, CASE, audio_ref)
    done = {job.processor: job.status for job in state.jobs}
    errors = {job.processor: job.error for job in state.jobs if job.error}
    assert done["transcription"] == "done" and done["entities"] == "done", errors
    _, trail = vault.custody.exhibit_trail(officer, CASE, audio_ref)
    assert "content.derive" in {e.action for e in trail}

    # The transcript, the entities it holds, and search across both exhibits.
    transcript = vault.analysis.get(officer, CASE, audio_ref, "transcript")
    assert "smith" in " ".join(s["text"] for s in transcript.body["segments"]).lower()
    spoken = vault.analysis.get(officer, CASE, audio_ref, "entities").body["entities"]
    assert "john smith" in {e["value"] for e in spoken if e["type"] == "person"}, spoken
    written = vault.analysis.get(officer, CASE, refs["image/png"], "entities").body["entities"]
    assert "AB12CDE" in {e["value"] for e in written if e["type"] == "vrm"}, written
    hits = vault.search.search(officer, "AB12 CDE", mode="keyword").hits
    assert {h.layer for h in hits} >= {"ocr"}, [h.layer for h in hits]
    hits = vault.search.search(officer, "John Smith", mode="hybrid").hits
    assert any(h.layer == "transcript" and "#t=" in h.link for h in hits), hits

    # Redaction proposals draw on the analysis without being handed any files.
    created = vault.redaction.create_set(officer, CASE, audio_ref, "defence")
    view, _ = vault.redaction.propose(officer, created.id, ["speech"])
    assert view.items, "the speech detector found nothing to bleep in the transcript"

    # A defence bundle, verified independently against the force's published key.
    bundle = tmp_path / "bundle"
    vault.casefile.bundles.export(officer, CASE, "cps", bundle)
    from exhibits.casefile.bundle.verify import VERIFIED, verify_bag

    report = verify_bag(bundle, trusted_keys=[vault.settings.log_key])
    assert report.status == VERIFIED, report.text()
    graph = json.loads((bundle / "case.jsonld").read_text())
    assert graph["@graph"]
    assert verify_vault(vault, vault.users.principal_for("ADMIN", via="cli")).ok


def test_a_proxy_opens_through_the_exhibits_content_grant(vault, officer, tmp_path):
    import subprocess

    clip = tmp_path / "bwv.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=1",
         "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    [outcome] = vault.evidence.ingest_paths(officer, [clip], IngestRequest(case=CASE, producer=JANE))
    vault.processing.settings.poll_seconds = 0.1
    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()
    state = vault.processing.exhibit_processing(officer, outcome.exhibit_id)
    statuses = {job.processor: job.status for job in state.jobs}
    assert statuses["proxy"] == "done"
    assert statuses.get("transcription") in (None, "skipped"), statuses  # no sound to transcribe
    assert state.state != "failed"
    proxy = vault.processing.derivatives(outcome.sha256, kind="proxy")[0]
    grant = vault.access.grants.grant(
        officer, outcome.exhibit_id, reason="Investigation of this case", sha256=proxy.sha256
    )
    assert (grant.sha256, grant.derivative, grant.mime_type) == (proxy.sha256, "proxy", "video/mp4")
    from exhibits.errors import NotFound

    with pytest.raises(NotFound):  # something that is not derived from this exhibit
        vault.access.grants.grant(
            officer, outcome.exhibit_id, reason="Investigation of this case", sha256="0" * 64
        )
