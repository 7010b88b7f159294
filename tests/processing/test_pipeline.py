"""The pipeline as a whole: the outbox, dependency order, content-keyed outputs, custody
events that every holder of the content sees without seeing other cases, reprocessing
with new versions, and the processing state of an exhibit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow
from exhibits.errors import NotFound, PermissionDenied
from exhibits.evidence.service import IngestRequest
from exhibits.processing.models import ContentFacts, DerivativeRecord, Job, JobDependency
from tests.processing.conftest import CASE, PRODUCER, jobs_of, make_jpeg, make_video


def derive_events(vault, sha256: str) -> list[dict]:
    import orjson

    with vault.reading() as session:
        rows = session.scalars(
            select(CustodyEventRow)
            .where(CustodyEventRow.action == "content.derive", CustodyEventRow.sha256 == sha256)
            .order_by(CustodyEventRow.seq)
        )
        return [orjson.loads(r.leaf) for r in rows]


def test_ingest_plans_jobs_in_the_same_transaction_in_dependency_order(vault, add, tmp_path):
    outcome = add(make_video(tmp_path / "bwv.mp4"))[0]
    jobs = jobs_of(vault, outcome.sha256)
    assert set(jobs) == {"probe", "proxy", "audio"}
    assert all(j.status == "pending" for j in jobs.values())
    with vault.reading() as session:
        links = {
            (a, b)
            for a, b in session.execute(
                select(Job.processor, JobDependency.depends_on).join(Job, Job.id == JobDependency.job_id)
            )
        }
    assert links == {("proxy", jobs["probe"].id), ("audio", jobs["probe"].id)}
    # Only the probe may run first: the others wait for it.
    from exhibits.processing.execute import JobExecutor
    from exhibits.processing.runner import Runner

    executor = JobExecutor(vault.processing, Runner(), "test")
    claimed = executor.claim()
    assert claimed.processor == "probe"
    assert executor.claim() is None  # proxy and audio are blocked until the probe is done
    executor.runner.close()


def test_a_video_is_described_made_playable_and_its_audio_extracted(vault, add, drain, tmp_path):
    outcome = add(make_video(tmp_path / "bwv.mp4", seconds=2, size="320x240"))[0]
    drain()
    jobs = jobs_of(vault, outcome.sha256)
    assert {n: j.status for n, j in jobs.items()} == {"probe": "done", "proxy": "done", "audio": "done"}
    facts = vault.processing.facts(outcome.sha256)
    assert facts["probe"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert (facts["probe"]["width"], facts["probe"]["height"], facts["probe"]["fps"]) == (320, 240, 15.0)
    kinds = {d.kind: d for d in vault.processing.derivatives(outcome.sha256)}
    assert set(kinds) == {"proxy", "poster", "thumbnail-strip", "audio"}
    assert kinds["proxy"].mime_type == "video/mp4" and kinds["audio"].mime_type == "audio/wav"
    # Every derivative is content in the vault, recording its parent, processor and version.
    for derivative in kinds.values():
        assert vault.blobs.rehash(derivative.sha256) == derivative.sha256
        assert derivative.parent_sha256 == outcome.sha256
        assert derivative.processor in ("proxy", "audio") and derivative.version == "1"
    # The original is untouched.
    assert vault.blobs.rehash(outcome.sha256) == outcome.sha256


def test_each_job_lands_in_the_custody_log_with_parent_processor_version_params_and_outputs(
    vault, add, drain, tmp_path
):
    outcome = add(make_video(tmp_path / "bwv.mp4"))[0]
    drain()
    events = derive_events(vault, outcome.sha256)
    assert events[0]["details"]["processor"] == "probe"  # the others needed its facts
    assert sorted(e["details"]["processor"] for e in events) == ["audio", "probe", "proxy"]
    proxy = next(e for e in events if e["details"]["processor"] == "proxy")
    derivatives = {d.sha256 for d in vault.processing.derivatives(outcome.sha256, processor="proxy")}
    assert proxy["class"] == "continuity"
    assert proxy["inputs"][0] == outcome.sha256
    assert set(proxy["outputs"]) == derivatives
    assert proxy["details"]["version"] == "1"
    assert proxy["details"]["params"]["long_side"] == 1280
    # Derivation is about content: no case, exhibit or person, so any holder may see it.
    assert (proxy["case"], proxy["exhibit"], proxy["media"], proxy["actor"]) == (None, None, None, None)


def test_identical_content_in_two_cases_is_processed_once_and_neither_case_sees_the_other(
    vault, people, drain, tmp_path, cli
):
    video = make_video(tmp_path / "shared.mp4")
    vault.evidence.create_case(people.officer, CASE, "Robbery, Station Road")
    vault.evidence.create_case(people.investigator, "42/77777/26", "Assault, Mill Lane")
    first = vault.evidence.ingest_paths(
        people.officer, [video], IngestRequest(case=CASE, producer=PRODUCER, description="Station Road BWV")
    )[0]
    drain()
    second = vault.evidence.ingest_paths(
        people.investigator,
        [video],
        IngestRequest(case="42/77777/26", producer="DC 2345 Amir Khan", description="Mill Lane secret"),
    )[0]
    assert first.sha256 == second.sha256
    assert drain() == 0  # nothing to do: the content was processed already
    with vault.reading() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 3
    # Each case's trail shows the derivations of its content, and nothing of the other case.
    mine = cli("log", "JS/1", "--case", CASE, "--json", user="1234")
    theirs = cli("log", "AK/1", "--case", "42/77777/26", "--json", user="2345")
    assert mine.exit_code == 0 and theirs.exit_code == 0, mine.stderr + theirs.stderr
    import json

    my_events, their_events = json.loads(mine.stdout), json.loads(theirs.stdout)
    my_case = vault.evidence.get_case(people.officer, CASE).id
    their_case = vault.evidence.get_case(people.investigator, "42/77777/26").id
    for events, own in ((my_events, my_case), (their_events, their_case)):
        assert [e["action"] for e in events].count("content.derive") == 3
        assert {e["case"] for e in events} == {own, None}
        assert all(e["case"] is None for e in events if e["action"] == "content.derive")
    assert "Station Road" not in theirs.stdout and "Mill Lane" not in mine.stdout
    assert '"collar": "1234"' not in theirs.stdout and '"collar": "2345"' not in mine.stdout


def test_a_new_processor_version_reprocesses_on_request_and_keeps_the_old_outputs(
    vault, add, drain, tmp_path, people, monkeypatch
):
    outcome = add(make_jpeg(tmp_path / "scene.jpg", size=(800, 600)))[0]
    drain()
    old = {d.sha256 for d in vault.processing.derivatives(outcome.sha256, processor="image-proxy")}
    # A new version of the processor (here: different parameters, which key outputs the same way).
    vault.processing.settings.params["image-proxy"] = {"web_size": 400}
    del vault.processing.registry  # re-read the processors and their parameters
    with pytest.raises(PermissionDenied):
        vault.processing.reprocess(people.officer, processors=["image-proxy"])
    counts = vault.processing.reprocess(people.admin, processors=["image-proxy"])
    assert counts == {"planned": 1, "reopened": 0}
    assert vault.processing.reprocess(people.admin, processors=["image-proxy"])["planned"] == 0  # idempotent
    drain()
    new = vault.processing.derivatives(outcome.sha256, processor="image-proxy")
    assert {d.facts["width"] for d in new if d.kind == "web"} == {400}
    with vault.reading() as session:
        kept = set(session.scalars(select(DerivativeRecord.output_sha256)))
        versions = session.scalar(
            select(func.count()).select_from(ContentFacts).where(ContentFacts.processor == "image-proxy")
        )
    assert old <= kept and versions == 2
    assert len(derive_events(vault, outcome.sha256)) == 3  # probe, and image-proxy twice


def test_reprocess_runs_failed_jobs_again(vault, add, drain, tmp_path, people):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + bytes(200))  # a JPEG signature and nothing else
    outcome = add(broken)[0]
    drain()
    assert jobs_of(vault, outcome.sha256)["probe"].status == "failed"
    assert jobs_of(vault, outcome.sha256)["image-proxy"].error.startswith("not run: it needs probe")
    counts = vault.processing.reprocess(people.admin, processors=["probe"], failed=True)
    assert counts["reopened"] == 1
    assert {j.status for j in jobs_of(vault, outcome.sha256).values()} == {"pending"}
    drain()
    assert jobs_of(vault, outcome.sha256)["probe"].status == "failed"  # still broken, still explained


def test_processing_state_of_an_exhibit_for_the_api(vault, add, drain, tmp_path, people):
    outcome = add(make_jpeg(tmp_path / "scene.jpg"))[0]
    before = vault.processing.exhibit_processing(people.officer, outcome.exhibit_id)
    assert before.state == "processing" and before.derivatives == []
    drain()
    state = vault.processing.exhibit_processing(people.officer, outcome.exhibit_id)
    data = state.as_dict()
    assert data["state"] == "done" and data["ref"] == "JS/1"
    assert {j["processor"] for j in data["jobs"]} == {"probe", "image-proxy"}
    assert data["facts"]["probe"]["width"] == 64
    assert {d["kind"] for d in data["derivatives"]} == {"web", "thumbnail"}
    # Someone with no part in the case is told it does not exist.
    with pytest.raises(NotFound):
        vault.processing.exhibit_processing(people.outsider, outcome.exhibit_id)
    # The read was logged as a consultation.
    with vault.reading() as session:
        assert session.scalar(
            select(func.count())
            .select_from(CustodyEventRow)
            .where(
                CustodyEventRow.action == "processing.view", CustodyEventRow.exhibit_id == outcome.exhibit_id
            )
        )


def test_derivatives_open_only_for_people_on_the_case_and_the_read_is_logged(
    vault, add, drain, tmp_path, people
):
    outcome = add(make_jpeg(tmp_path / "scene.jpg"))[0]
    drain()
    thumb = vault.processing.derivatives(outcome.sha256, kind="thumbnail")[0]
    view, stream = vault.processing.open_derivative(people.officer, outcome.exhibit_id, thumb.sha256)
    assert view.kind == "thumbnail"
    with stream:
        assert stream.read(3) == b"\xff\xd8\xff"
    with pytest.raises(NotFound):
        vault.processing.open_derivative(people.outsider, outcome.exhibit_id, thumb.sha256)
    with pytest.raises(NotFound):  # a hash that is not a derivative of this exhibit
        vault.processing.open_derivative(people.officer, outcome.exhibit_id, outcome.sha256)


def test_verify_checks_derivatives_like_any_content(vault, add, drain, tmp_path, people):
    outcome = add(make_jpeg(tmp_path / "scene.jpg"))[0]
    drain()
    from exhibits.vault.verify import verify_vault

    report = verify_vault(vault, people.admin)
    assert report.ok, (report.log.problems, report.log.notes)
    assert report.blobs_checked == 1 + len(vault.processing.derivatives(outcome.sha256))
    assert report.orphans == 0


def test_jobs_command_shows_the_queue_and_a_cases_jobs(vault, add, drain, tmp_path, cli):
    add(make_jpeg(tmp_path / "scene.jpg"))
    listing = cli("jobs", "--case", CASE, user="1234")
    assert listing.exit_code == 0, listing.stderr
    assert "pending" in listing.stdout and "JS/1" in listing.stdout
    assert cli("jobs", user="1234").exit_code == 4  # the vault-wide queue is for administrators
    drain()
    done = cli("jobs", "--json")
    assert done.exit_code == 0
    import json

    assert {j["status"] for j in json.loads(done.stdout)} == {"done"}
    shown = cli("processing", "JS/1", "--case", CASE, user="1234")
    assert shown.exit_code == 0, shown.stderr
    assert "thumbnail" in shown.stdout and "state: done" in shown.stdout


def test_plugins_hear_of_each_result_inside_the_unit_that_records_it(vault, add, drain, tmp_path):
    from exhibits.hooks import hookimpl, plugin_manager

    heard = []

    class SearchIndex:
        @hookimpl
        def exhibits_processed(self, ctx, vault, processed):
            # Inside the unit of work: the jobs' outputs are visible in its session already.
            for item in processed:
                facts = ctx.session.scalar(
                    select(ContentFacts.facts).where(ContentFacts.sha256 == item.sha256)
                )
                heard.append((item.processor.name, item.sha256, sorted(item.result.facts), facts is not None))

    plugin_manager().register(SearchIndex(), name="test-search-index")
    try:
        outcome = add(make_jpeg(tmp_path / "scene.jpg"))[0]
        drain()
    finally:
        plugin_manager().unregister(name="test-search-index")
    assert sorted(h[0] for h in heard) == ["image-proxy", "probe"]
    assert all(h[1] == outcome.sha256 and h[3] for h in heard)
    assert "width" in next(h[2] for h in heard if h[0] == "probe")
