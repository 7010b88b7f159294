"""Retention rules, holds, review decisions and disposal that verify reports as disposed."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest

from exhibits.casefile.models import CaseOutcome, CasePerson
from exhibits.casefile.retention import RetentionSettings, evidence_rule, person_rule
from exhibits.errors import Conflict, PermissionDenied
from exhibits.evidence.service import IngestRequest
from exhibits.vault.verify import verify_vault

POLICY = RetentionSettings()


def _outcome(kind, day, **extra):
    return CaseOutcome(
        outcome=kind,
        outcome_date=day,
        custodial=extra.get("custodial", False),
        release_date=extra.get("release"),
        offence_group=extra.get("group"),
    )


@pytest.mark.parametrize(
    "outcome, expected, basis",
    [
        (None, None, "until the case is decided"),
        (_outcome("convicted", date(2026, 1, 10)), date(2026, 7, 12), "6 months from conviction"),
        (_outcome("convicted", date(2026, 1, 10), custodial=True), None, "release"),
        (
            _outcome("convicted", date(2026, 1, 10), custodial=True, release=date(2030, 5, 1)),
            date(2030, 5, 1),
            "release from custody",
        ),
        (
            _outcome("convicted", date(2026, 1, 10), custodial=True, release=date(2026, 2, 1)),
            date(2026, 7, 12),
            "at least 6 months",
        ),
        (_outcome("nfa", date(2026, 1, 10)), date(2027, 1, 10), "decision not to prosecute"),
        (_outcome("acquitted", date(2026, 1, 10)), date(2027, 1, 10), "acquitted"),
    ],
)
def test_cpia_rules(outcome, expected, basis):
    rule = evidence_rule(outcome, POLICY)
    assert rule.review_on == expected and basis in rule.basis


def test_mopi_rules():
    person = CasePerson(mopi_group=None, updated_at=datetime(2026, 1, 1), date_of_birth=date(1990, 1, 1))
    assert person_rule(person, _outcome("convicted", date(2026, 3, 1), group=2), POLICY).review_on == date(
        2036, 3, 1
    )
    assert person_rule(person, _outcome("convicted", date(2026, 3, 1), group=3), POLICY).review_on == date(
        2032, 3, 1
    )
    person.mopi_group = 1
    old = CasePerson(mopi_group=1, updated_at=datetime(2026, 1, 1), date_of_birth=date(1930, 6, 1))
    assert person_rule(old, None, POLICY).review_on == date(2030, 6, 1)  # the 100th birthday comes first


def _unassigned(vault, principal, data: bytes):
    request = IngestRequest(source="bwv", device_id="BWV-1", incident_ref="0413")
    return vault.evidence.ingest_stream(principal, io.BytesIO(data), "clip.mp4", request)


def test_unassigned_footage_is_due_after_31_days_and_disposal_leaves_a_certificate(world, vault):
    admin_like = world.oic
    clip = _unassigned(vault, admin_like, b"non-evidential street footage " * 100)
    retention = vault.casefile.retention
    with pytest.raises(PermissionDenied):
        retention.queue(world.oic)
    soon = retention.queue(world.supervisor, as_of=vault.now().date() + timedelta(days=30))
    assert clip.media_id not in [i.id for i in soon]
    due = retention.queue(world.supervisor, as_of=vault.now().date() + timedelta(days=32))
    assert clip.media_id in [i.id for i in due if i.subject == "media"]
    with pytest.raises(PermissionDenied, match="no supervisor's decision"):
        retention.dispose(world.supervisor, "media", clip.media_id, reason="x", authority="y")
    hold = retention.place_hold(world.supervisor, "iopc", "complaint about the stop", media_key=clip.media_id)
    retention.decide(
        world.supervisor, "media", clip.media_id, "dispose", "no evidential value; 31 days passed"
    )
    with pytest.raises(Conflict, match="IOPC"):
        retention.dispose(world.supervisor, "media", clip.media_id, reason="review", authority="force policy")
    retention.lift_hold(world.supervisor, hold, "complaint closed")
    certificate = retention.dispose(
        world.supervisor,
        "media",
        clip.media_id,
        reason="no evidential value",
        authority="Force retention policy: unassigned footage 31 days",
    )
    assert certificate["content_removed"] and certificate["hash"] == clip.sha256
    assert not vault.blobs.exists(clip.sha256)
    report = verify_vault(vault, world.supervisor.__class__.from_user(_admin_user(vault)))
    assert report.ok, report.as_dict()["problems"]
    assert report.disposed == [clip.sha256]
    trail = [e for e in vault.custody.case_trail(world.oic, world.case)]  # the log keeps everything
    assert trail


def _admin_user(vault):
    from exhibits.access.models import User

    with vault.reading() as session:
        user = session.query(User).filter_by(collar="ADMIN").one()
        session.expunge(user)
        return user


def test_shared_content_stays_until_nothing_holds_it(world, vault):
    data = world.contents["photo.jpg"]
    retention = vault.casefile.retention
    vault.casefile.retention.record_outcome(world.oic, world.case, "convicted", date(2025, 1, 1))
    # the same photo arrives again as unassigned media: one blob, two holders
    twin = _unassigned(vault, world.oic, data)
    _, exhibits = vault.evidence.list_exhibits(world.oic, world.case)
    photo = next(e for e in exhibits if e.sha256 == twin.sha256)
    due = retention.queue(world.supervisor, as_of=date(2026, 1, 1))
    assert photo.id in [i.id for i in due]
    retention.decide(world.supervisor, "exhibit", photo.id, "dispose", "case concluded, CPIA period over")
    first = retention.dispose(
        world.supervisor, "exhibit", photo.id, reason="CPIA period over", authority="CPIA Code para 5"
    )
    assert not first["content_removed"] and vault.blobs.exists(twin.sha256)
    retention.decide(world.supervisor, "media", twin.media_id, "dispose", "unassigned copy, no value")
    second = retention.dispose(
        world.supervisor, "media", twin.media_id, reason="no value", authority="policy"
    )
    assert second["content_removed"] and not vault.blobs.exists(twin.sha256)
    report = verify_vault(vault, world.supervisor.__class__.from_user(_admin_user(vault)))
    assert report.ok, report.as_dict()["problems"]
    assert report.disposed == [twin.sha256]


def test_case_hold_blocks_disposal_and_retain_decisions_set_the_next_review(world, vault):
    retention = vault.casefile.retention
    retention.record_outcome(world.oic, world.case, "convicted", date(2025, 1, 1))
    retention.place_hold(world.oic, "appeal", "appeal lodged", case_key=world.case, reference="CA 2025/01234")
    _, exhibits = vault.evidence.list_exhibits(world.oic, world.case)
    item = next(
        i for i in retention.queue(world.supervisor, as_of=date(2026, 1, 1)) if i.id == exhibits[0].id
    )
    assert item.holds == ["Appeal in progress (CA 2025/01234)"]
    retention.decide(world.supervisor, "exhibit", exhibits[0].id, "dispose", "period over")
    with pytest.raises(Conflict, match="Appeal"):
        retention.dispose(world.supervisor, "exhibit", exhibits[0].id, reason="x", authority="y")
    retention.decide(
        world.supervisor, "exhibit", exhibits[1].id, "retain", "linked series", retain_until=date(2030, 1, 1)
    )
    later = {i.id: i for i in retention.queue(world.supervisor, as_of=date(2026, 1, 1), include_future=True)}
    assert later[exhibits[1].id].review_on == date(2030, 1, 1) and later[exhibits[1].id].decision == "retain"


def test_a_disposal_interrupted_after_its_certificate_is_completed_later(world, vault, monkeypatch):
    from exhibits.casefile.retention import RetentionService

    clip = _unassigned(vault, world.oic, b"footage to be disposed of " * 100)
    retention = vault.casefile.retention
    retention.decide(world.supervisor, "media", clip.media_id, "dispose", "no evidential value")

    def crash(self, sha256, seq):
        raise KeyboardInterrupt("killed after the certificate was committed")

    monkeypatch.setattr(RetentionService, "_finish_disposal", crash)
    with pytest.raises(KeyboardInterrupt):
        retention.dispose(world.supervisor, "media", clip.media_id, reason="policy", authority="31 days")
    monkeypatch.undo()
    admin = world.supervisor.__class__.from_user(_admin_user(vault))
    assert verify_vault(vault, admin).ok  # the content is still there, still intact
    assert retention.finish_interrupted(world.supervisor) == 1
    assert not vault.blobs.exists(clip.sha256)
    report = verify_vault(vault, admin)
    assert report.ok and report.disposed == [clip.sha256]
    assert retention.finish_interrupted(world.supervisor) == 0
