"""The portal's use-cases on a real vault: a request link, a resumable upload, the receipt,
triage, and acceptance into a case (exhibits and a draft MG11)."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from exhibits.custody.models import CustodyEventRow
from exhibits.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooManyRequests
from exhibits.portal import forms
from exhibits.portal.service import UnsupportedMediaType
from exhibits.uploads.tus import OffsetMismatch
from exhibits.vault.verify import verify_vault
from tests.portal.conftest import DASHCAM_ANSWERS, DECLARATION, SUBMITTER


def _send(portal, token, data: bytes, name: str = "dashcam.mp4", pieces: int = 3):
    view = portal.create_file(token, len(data), name)
    step = max(1, len(data) // pieces)
    offset = 0
    while offset < len(data):
        view = portal.append(token, view.id, offset, io.BytesIO(data[offset : offset + step]))
        offset = view.offset
    return view


def _actions(vault) -> list[str]:
    with vault.reading() as session:
        return list(session.scalars(select(CustodyEventRow.action).order_by(CustodyEventRow.seq)))


def test_a_request_link_carries_footage_to_an_exhibit_and_a_draft_statement(
    vault, people, portal, case, dashcam_clip
):
    data = dashcam_clip.read_bytes()
    view, token, code = portal.create_request(people.officer, case=case.id, form="dashcam")
    assert token.startswith("pub_") and len(token) > 40 and len(code) == 11
    assert view.status == "open" and view.case_id == case.id

    opened = portal.open(token)
    assert opened.reference == view.reference and opened.files == []
    portal.save(token, SUBMITTER, DASHCAM_ANSWERS)
    sent = _send(portal, token, data)
    assert sent.status == "complete" and sent.sha256 == hashlib.sha256(data).hexdigest()
    assert sent.mime_type == "video/mp4"

    receipt = portal.submit(token, DECLARATION)
    assert receipt.reference == view.reference
    assert receipt.files == [("dashcam.mp4", len(data), hashlib.sha256(data).hexdigest())]
    with pytest.raises(NotFound):  # only until submitted
        portal.open(token)

    queue = portal.queue(people.officer)
    assert [s.reference for s in queue] == [view.reference]
    item = queue[0]
    assert item.answers["vrm"] == "AB12CDE" and item.vrm_note is None
    assert item.nip_deadline is not None
    left = item.nip_left(vault.now())
    assert timedelta(days=11) < timedelta(seconds=left) < timedelta(days=13)

    accepted = portal.accept(people.officer, view.id)
    assert accepted.status == "accepted" and accepted.accepted_case_id == case.id
    _, exhibits = vault.evidence.list_exhibits(people.officer, case.id)
    assert [(e.ref, e.sha256, e.source) for e in exhibits] == [
        ("SD/1", hashlib.sha256(data).hexdigest(), "public")
    ]
    statement = vault.casefile.records.get(people.officer, accepted.statement_id)
    assert statement.form == "MG11" and statement.state == "draft"
    assert statement.data["statement_of"] == "Sam Driver"
    assert statement.data["exhibits_produced"] == ["SD/1"]
    assert "AB12 CDE" in statement.data["body"] and "blind bend" in statement.data["body"]
    actions = _actions(vault)
    for action in (
        "portal.request.create",
        "portal.file.receive",
        "portal.submission.submit",
        "exhibit.ingest",
        "casefile.record.create",
        "portal.submission.accept",
    ):
        assert action in actions
    report = verify_vault(vault, people.admin)
    assert report.ok, report.problems


def test_the_short_code_opens_the_same_submission(people, portal, case):
    view, _, code = portal.create_request(people.officer, case=case.id)
    token = portal.redeem_code(code.lower().replace("-", " "))
    assert portal.open(token).reference == view.reference
    with pytest.raises(NotFound):
        portal.redeem_code("AAAAA-AAAAA")


def test_a_standing_page_mints_a_token_per_person(people, portal, dashcam_clip):
    with pytest.raises(NotFound):
        portal.start_from_page("dashcam")
    with pytest.raises(PermissionDenied):
        portal.set_page(people.officer, "dashcam", form="dashcam", title=None, enabled=True)
    supervisor = people.admin  # administrators manage the standing pages
    portal.set_page(supervisor, "dashcam", form="dashcam", title=None, enabled=True)
    first, token_a = portal.start_from_page("dashcam")
    second, token_b = portal.start_from_page("dashcam")
    assert first.reference != second.reference and token_a != token_b
    portal.save(token_a, SUBMITTER, DASHCAM_ANSWERS)
    file_a = _send(portal, token_a, dashcam_clip.read_bytes())
    with pytest.raises(NotFound):  # one person's token never reaches another's files
        portal.file_status(token_b, file_a.id)
    assert portal.open(token_b).files == []
    portal.set_page(supervisor, "dashcam", form="dashcam", title=None, enabled=False)
    with pytest.raises(NotFound):
        portal.start_from_page("dashcam")


def test_bytes_that_are_not_footage_are_refused(portal, people, case):
    _, token, _ = portal.create_request(people.officer, case=case.id)
    script = b"#!/bin/sh\necho pretending to be a video\n" * 200
    with pytest.raises(UnsupportedMediaType):
        _send(portal, token, script, name="clip.mp4", pieces=1)
    assert [f.status for f in portal.open(token).files] == ["refused"]


def test_size_limits_and_offsets(portal, people, case, config_of):
    _, token, _ = portal.create_request(people.officer, case=case.id)
    from exhibits.errors import TooLarge

    with pytest.raises(TooLarge):
        portal.create_file(token, portal.settings.max_file_bytes + 1, "big.mp4")
    with pytest.raises(InvalidInput):
        portal.create_file(token, 0, "empty.mp4")
    view = portal.create_file(token, 10, "clip.mp4")
    with pytest.raises(OffsetMismatch):
        portal.append(token, view.id, 5, io.BytesIO(b"abc"))
    with pytest.raises(TooLarge):
        portal.append(token, view.id, 0, io.BytesIO(b"x" * 11))
    assert portal.file_status(token, view.id).offset == 0


def test_answers_are_checked(portal, people, case):
    _, token, _ = portal.create_request(people.officer, case=case.id)
    bad = {**DASHCAM_ANSWERS, "vrm": "AB-12!", "offence_time": "25:00"}
    with pytest.raises(InvalidInput) as error:
        portal.save(token, SUBMITTER, bad)
    assert "vrm" in error.value.message and "offence_time" in error.value.message
    assert "AB-12" not in error.value.message  # never echoes the input
    with pytest.raises(InvalidInput):
        portal.save(token, {"name": "Sam Driver"}, DASHCAM_ANSWERS)  # no way to contact them
    foreign = portal.save(token, SUBMITTER, {**DASHCAM_ANSWERS, "vrm": "CD 123 A"})  # kept, flagged
    assert foreign.answers["vrm"] == "CD123A"
    assert forms.vrm_note("CD123A") is not None and forms.vrm_note("AB12CDE") is None


def test_the_declaration_is_signed_with_the_name_given(portal, people, case, dashcam_clip):
    _, token, _ = portal.create_request(people.officer, case=case.id)
    with pytest.raises(Conflict):
        portal.submit(token, DECLARATION)  # nothing said yet
    portal.save(token, SUBMITTER, DASHCAM_ANSWERS)
    with pytest.raises(Conflict):
        portal.submit(token, DECLARATION)  # no file
    _send(portal, token, dashcam_clip.read_bytes())
    with pytest.raises(InvalidInput):
        portal.submit(token, {**DECLARATION, "signature": "Someone Else"})
    with pytest.raises(InvalidInput):
        portal.submit(token, {**DECLARATION, "over_18": False})
    assert portal.submit(token, DECLARATION).reference


def test_reject_needs_a_reason_and_triage_needs_the_permission(vault, portal, people, case, dashcam_clip):
    view, token, _ = portal.create_request(people.officer, case=case.id)
    portal.save(token, SUBMITTER, DASHCAM_ANSWERS)
    _send(portal, token, dashcam_clip.read_bytes())
    portal.submit(token, DECLARATION)
    with pytest.raises(PermissionDenied):
        portal.queue(people.auditor)
    assert portal.queue(people.outsider) == []  # a triager not on the case does not see it
    with pytest.raises(NotFound):
        portal.accept(people.outsider, view.id)
    with pytest.raises(InvalidInput):
        portal.reject(people.officer, view.id, "  ")
    rejected = portal.reject(people.officer, view.id, "Footage does not show the offence")
    assert rejected.status == "rejected" and rejected.decision_reason
    with pytest.raises(Conflict):
        portal.accept(people.officer, view.id)
    assert "portal.submission.reject" in _actions(vault)
    report = verify_vault(vault, people.admin)  # received content without media is still sound
    assert report.ok, report.problems


def test_links_expire(vault, portal, people, case):
    first, token, _ = portal.create_request(people.officer, case=case.id)
    real_now = vault.now
    vault.now = lambda: real_now() + timedelta(days=15)
    try:
        with pytest.raises(NotFound):
            portal.open(token)
        later, _, _ = portal.create_request(people.officer, case=case.id)  # sweeps as it starts
        assert portal.expire() == 0
        assert [v.reference for v in portal.queue(people.officer, status="open")] == [later.reference]
    finally:
        vault.now = real_now
    with pytest.raises(NotFound):
        portal.open(token)


def test_rate_limits(portal):
    for _ in range(portal.settings.starts_per_address_per_hour):
        portal.limit_address("192.0.2.7", starting=True)
    with pytest.raises(TooManyRequests) as error:
        portal.limit_address("192.0.2.7", starting=True)
    assert int(error.value.headers["Retry-After"]) > 0
    portal.limit_address("192.0.2.8", starting=True)  # another address is unaffected


def test_nip_deadline_is_the_end_of_the_fourteenth_day():
    offence = forms.offence_time({"offence_date": "2026-11-01", "offence_time": "23:30"})
    deadline = forms.nip_deadline(offence)
    assert deadline is not None and deadline.isoformat().startswith("2026-11-15T23:59:59")
