"""Sets are layers with a history: every version and every render is in the custody log, any
version can be rebuilt, history tables refuse change, and only people on the case take part."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from exhibits.errors import InvalidInput, NotFound, PermissionDenied
from exhibits.redaction.domain import ItemKind, ItemState
from tests.redaction.media import make_photo


@pytest.fixture
def photo_set(case_files, tmp_path):
    photo = tmp_path / "scene.jpg"
    make_photo(photo)
    ref = case_files.add(photo)
    created = case_files.vault.redaction.create_set(case_files.officer, case_files.case, ref, "defence")
    return ref, created


def _region(box):
    return {"shape": "box", "box": box, "page": None}


def test_every_change_is_a_new_version_in_the_custody_log_and_old_versions_can_be_rebuilt(
    case_files, photo_set
):
    vault, officer = case_files.vault, case_files.officer
    ref, created = photo_set
    service = vault.redaction
    service.propose(officer, created.id, ["faces"])  # v2
    first = service.add(
        officer, created.id, ItemKind.REGION, _region([0.0, 0.0, 0.1, 0.1]), "house_number"
    )  # v3
    service.review(officer, created.id, [1], ItemState.KEPT, note="the suspect: needed as evidence")  # v4
    service.adjust(officer, created.id, first.number, geometry=_region([0.5, 0.5, 0.1, 0.1]))  # v5
    decision = service.decide_not_redacted(
        officer, created.id, "other", "nothing else personal in view"
    )  # v6
    view = service.show(officer, created.id)
    assert view.version == 6
    assert [i.state for i in view.items] == ["kept", "accepted", "kept"]
    assert (
        view.items[0].note == "the suspect: needed as evidence"
        and view.items[0].decided_by == officer.user_id
    )
    assert decision.kind == ItemKind.DECISION

    v3 = service.version_content(officer, created.id, 3)
    assert [i["geometry"]["box"] for i in v3["items"] if i["number"] == 2] == [[0.0, 0.0, 0.1, 0.1]]
    assert [i["state"] for i in v3["items"]] == ["proposed", "accepted"]
    now = service.version_content(officer, created.id)
    from exhibits.redaction.domain import digest

    assert digest(now) == view.digest

    _, events = vault.custody.exhibit_trail(officer, case_files.case, ref)
    actions = [e.action for e in events]
    assert actions.count("redaction.set.create") == 1
    versions = [e.leaf["details"] for e in events if e.action == "redaction.set.version"]
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5, 6]
    assert versions[-1]["digest"] == view.digest

    render = service.render(officer, created.id)
    _, events = vault.custody.exhibit_trail(officer, case_files.case, ref)
    (rendered,) = [e.leaf for e in events if e.action == "redaction.render"]
    assert rendered["inputs"] == [view.sha256]
    assert rendered["outputs"][0] == render.sha256
    assert rendered["details"]["set_version"] == 6 and rendered["details"]["set_digest"] == view.digest
    assert (
        rendered["details"]["tool"] == "exhibits-redaction"
        and rendered["details"]["parent_sha256"] == view.sha256
    )
    # The derivative and its reports are content the vault verifies like any other.
    from exhibits.vault.verify import verify_vault

    report = verify_vault(vault, vault.users.principal_for("ADMIN", via="cli"))
    # (Blob checks only: the log half is covered by the core's tests.)
    assert report.problems == [] and report.blobs_checked == 4 and report.orphans == 0


def test_history_refuses_to_be_rewritten(case_files, photo_set):
    vault = case_files.vault
    _, created = photo_set
    vault.redaction.add(case_files.officer, created.id, ItemKind.REGION, _region([0, 0, 0.2, 0.2]), "face")
    for statement in (
        "UPDATE redaction_set_versions SET digest = 'x'",
        "DELETE FROM redaction_item_revisions",
        "UPDATE redaction_item_revisions SET reason = 'x'",
    ):
        with (
            pytest.raises(Exception, match=r"append-only|permission denied"),
            vault.db.write_engine.begin() as conn,
        ):
            conn.execute(text(statement))


def test_only_people_on_the_case_can_see_or_change_a_set(case_files, people, photo_set):
    vault = case_files.vault
    _, created = photo_set
    with pytest.raises(NotFound):
        vault.redaction.show(people.outsider, created.id)
    with pytest.raises(NotFound):
        vault.redaction.add(people.outsider, created.id, ItemKind.REGION, _region([0, 0, 0.1, 0.1]), "face")
    vault.users.assign(case_files.officer, case_files.case, "3456", "viewer")
    people.outsider.forget_assignments()
    assert vault.redaction.show(people.outsider, created.id).id == created.id  # a viewer may look
    with pytest.raises(PermissionDenied):
        vault.redaction.review(people.outsider, created.id, None, ItemState.ACCEPTED)


def test_content_is_only_given_to_people_on_the_case_and_each_get_is_logged(
    case_files, people, photo_set, tmp_path
):
    from sqlalchemy import func, select

    from exhibits.custody.models import CustodyEventRow
    from exhibits.redaction.content import get_content

    vault = case_files.vault
    ref, _ = photo_set
    with pytest.raises(NotFound):
        get_content(vault, people.outsider, case_files.case, ref, tmp_path / "x.jpg", "Audit or complaint")
    assert not (tmp_path / "x.jpg").exists()

    def gets() -> int:
        with vault.reading() as session:
            return session.scalar(
                select(func.count())
                .select_from(CustodyEventRow)
                .where(CustodyEventRow.action == "content.get")
            )

    before = gets()
    copy = get_content(
        vault, case_files.officer, case_files.case, ref, tmp_path / "y.jpg", "Investigation of this case"
    )
    assert gets() == before + 1 and copy.what == f"original of {ref}"


def test_bad_geometry_and_missing_reasons_are_refused_and_change_nothing(case_files, photo_set):
    vault, officer = case_files.vault, case_files.officer
    _, created = photo_set
    for geometry, reason, message in [
        (_region([0.2, 0.2, 0, 0.1]), "face", "positive width"),
        (_region([1.5, 1.5, 0.1, 0.1]), "face", "outside the picture"),
        (_region([0.1, 0.1, 0.1]), "face", "four numbers"),
        (_region([0.1, 0.1, 0.1, 0.1]), "  ", "needs a reason"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            vault.redaction.add(officer, created.id, ItemKind.REGION, geometry, reason)
    with pytest.raises(InvalidInput, match="does not apply"):
        vault.redaction.add(officer, created.id, ItemKind.AUDIO, {"start": 0, "end": 1}, "name")
    with pytest.raises(InvalidInput, match="say why"):
        vault.redaction.review(officer, created.id, None, ItemState.KEPT)
    assert vault.redaction.show(officer, created.id).version == 1
