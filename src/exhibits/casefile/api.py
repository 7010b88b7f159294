"""HTTP routes of the case file, included by the API application through the
``exhibits_api`` hook.

Every route declares its permission with ``web.auth.requires``. The path names a case by id
or URN (crime references contain '/', so they cannot be a path segment) and records, shares
and holds by their own ids, which only this capability can resolve: those routes use the
``service`` scope, and the service checks the declared permission on what it resolves (404
to anyone without it, so nobody learns what exists). Errors are ExhibitsError subclasses,
which the application maps to problem+json (a defence user asking for a non-disclosable form
gets 404).
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from exhibits.access.permissions import Permission, Role
from exhibits.web.auth import Caller, requires

router = APIRouter(prefix="/api/v1", tags=["case file"])

CaseKey = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", description="Case id or URN")
]
ItemId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
FormKey = Annotated[
    str,
    Path(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", description="MG12, MG6C, MG6D or a record id"
    ),
]
Sha256 = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-fA-F]{64}$")]
ItemNo = Annotated[int, Path(ge=1, le=1_000_000)]


def _svc(permission: Permission, note: str = "") -> Any:
    """The case or item is resolved (and the permission checked on it) by the service."""
    return Annotated[Caller, requires(permission, "service", note=note)]


Reader = _svc(Permission.CASEFILE_READ)
Writer = _svc(Permission.CASEFILE_WRITE)
Discloser = _svc(Permission.DISCLOSURE_MANAGE)
Prosecutor = _svc(Permission.DISCLOSURE_DECIDE)
Sharer = _svc(Permission.SHARE_MANAGE)
Exporter = _svc(Permission.BUNDLE_EXPORT)
CaseUpdater = _svc(Permission.CASE_UPDATE)
HoldPlacer = _svc(Permission.CASE_UPDATE, note="a case hold; retention:review also holds media")
Supervisor = Annotated[Caller, requires(Permission.CASEFILE_SUPERVISE)]
Reviewer = Annotated[Caller, requires(Permission.RETENTION_REVIEW)]
SharedWithMe = Annotated[Caller, requires(Permission.CASEFILE_READ, "cases")]


def _cf(request: Request) -> Any:
    return request.app.state.vault.casefile


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewRecord(_Body):
    form: str
    data: dict[str, Any]
    title: str | None = None
    linked_id: str | None = None


class RecordData(_Body):
    data: dict[str, Any]


class Signature(_Body):
    signed_by: str
    method: str = "typed-name"


class SignOff(_Body):
    note: str | None = None


class UnusedRequest(_Body):
    refs: list[str] = Field(default_factory=list)
    derivatives: list[str] = Field(default_factory=list)
    schedule: Literal["MG6C", "MG6D"] = "MG6C"
    sensitivity_reason: str | None = None
    description: str | None = None
    location: str | None = None


class Decision(_Body):
    decision: str
    reason: str | None = None


class ShareRequest(_Body):
    partner: str
    exhibits: list[str] = Field(default_factory=list)
    derivatives: list[str] = Field(default_factory=list)
    records: list[str] = Field(default_factory=list)
    forms: list[str] = Field(default_factory=list)
    expires_in_days: float = Field(default=30, gt=0, le=366)
    allow_download: bool = False


class Revoke(_Body):
    reason: str | None = None


class OutcomeRequest(_Body):
    outcome: str
    outcome_date: date
    custodial: bool = False
    release_date: date | None = None
    offence_group: int | None = None


class HoldRequest(_Body):
    kind: str
    reason: str
    case: str | None = None
    media: str | None = None
    reference: str | None = None


class RetentionDecisionRequest(_Body):
    subject: Literal["media", "exhibit", "person"]
    subject_id: str
    decision: Literal["retain", "dispose"]
    reason: str
    retain_until: date | None = None
    authority: str | None = None


class DisposalRequest(_Body):
    subject: Literal["media", "exhibit", "person"]
    subject_id: str
    reason: str
    authority: str


class BundleRequest(_Body):
    recipient: Literal["cps", "defence", "court"]


# --- records and people -----------------------------------------------------------------------


@router.get("/cases/{case}/casefile/records")
def list_records(
    request: Request,
    case: CaseKey,
    caller: Reader,
    form: Annotated[str | None, Query(max_length=16)] = None,
) -> list[dict]:
    """The case's form records (a partner sees only those shared with them)."""
    return [v.as_dict() for v in _cf(request).records.list(caller.principal, case, form=form)]


@router.post("/cases/{case}/casefile/records", status_code=201)
def create_record(request: Request, case: CaseKey, body: NewRecord, caller: Writer) -> dict:
    view = _cf(request).records.create(
        caller.principal, case, body.form, body.data, title=body.title, linked_id=body.linked_id
    )
    return view.as_dict()


@router.get("/casefile/records/{record}")
def get_record(request: Request, record: ItemId, caller: Reader) -> dict:
    return _cf(request).records.get(caller.principal, record).as_dict()


@router.get("/casefile/records/{record}/versions")
def record_versions(request: Request, record: ItemId, caller: Reader) -> list[dict]:
    return _cf(request).records.history(caller.principal, record)


@router.put("/casefile/records/{record}")
def update_record(request: Request, record: ItemId, body: RecordData, caller: Writer) -> dict:
    return _cf(request).records.update(caller.principal, record, body.data).as_dict()


@router.post("/casefile/records/{record}/signature")
def sign_record(request: Request, record: ItemId, body: Signature, caller: Writer) -> dict:
    records = _cf(request).records
    return records.sign(caller.principal, record, signed_by=body.signed_by, method=body.method).as_dict()


@router.post("/casefile/records/{record}/amendment", status_code=201)
def amend_record(request: Request, record: ItemId, body: RecordData, caller: Writer) -> dict:
    return _cf(request).records.amend_statement(caller.principal, record, body.data).as_dict()


@router.post("/casefile/records/{record}/sign-off")
def sign_off_record(request: Request, record: ItemId, body: SignOff, caller: Supervisor) -> dict:
    """A supervisor (who can see the case) certifies an MG5 they did not write."""
    return _cf(request).records.sign_off(caller.principal, record, note=body.note).as_dict()


@router.get("/cases/{case}/casefile/forms/{form}.pdf", response_class=Response)
def form_pdf(request: Request, case: CaseKey, form: FormKey, caller: Reader) -> Response:
    stem, pdf, _ = _cf(request).render(caller.principal, case, form)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{stem}.pdf"'}
    )


@router.get("/cases/{case}/casefile/forms/{form}.json")
def form_json(request: Request, case: CaseKey, form: FormKey, caller: Reader) -> dict:
    return _cf(request).render(caller.principal, case, form)[2]


@router.get("/cases/{case}/people")
def list_people(request: Request, case: CaseKey, caller: Reader) -> list[dict]:
    """People records (POLE): for those assigned to the case only, never partners."""
    return [p.as_dict() for p in _cf(request).records.list_people(caller.principal, case)]


@router.post("/cases/{case}/people", status_code=201)
def add_person(request: Request, case: CaseKey, body: dict[str, Any], caller: Writer) -> dict:
    return _cf(request).records.add_person(caller.principal, case, body).as_dict()


# --- disclosure -----------------------------------------------------------------------------


@router.get("/cases/{case}/unused")
def unused_items(
    request: Request,
    case: CaseKey,
    caller: Reader,
    schedule: Literal["MG6C", "MG6D"] | None = None,
) -> list[dict]:
    who = caller.principal
    defence = Role.DEFENCE in who.roles
    items = _cf(request).disclosure.schedule(who, case, schedule)
    return [i.as_dict(for_defence=defence) for i in items]


@router.post("/cases/{case}/unused", status_code=201)
def add_unused(request: Request, case: CaseKey, body: UnusedRequest, caller: Discloser) -> list[dict]:
    disclosure, who = _cf(request).disclosure, caller.principal
    if body.description:
        items = [
            disclosure.add_item(
                who,
                case,
                schedule=body.schedule,
                description=body.description,
                location=body.location or "not stated",
                sensitivity_reason=body.sensitivity_reason,
            )
        ]
    else:
        items = disclosure.add_exhibits(
            who,
            case,
            body.refs,
            derivatives=body.derivatives,
            schedule=body.schedule,
            sensitivity_reason=body.sensitivity_reason,
            location=body.location,
        )
    return [i.as_dict() for i in items]


@router.post("/cases/{case}/unused/{item_no}/decisions", status_code=201)
def decide_unused(
    request: Request, case: CaseKey, item_no: ItemNo, body: Decision, caller: Prosecutor
) -> dict:
    """The prosecutor's decision on an item of unused material (through their share)."""
    return (
        _cf(request).disclosure.decide(caller.principal, case, item_no, body.decision, body.reason).as_dict()
    )


# --- sharing ----------------------------------------------------------------------------------


@router.get("/cases/{case}/shares")
def list_shares(request: Request, case: CaseKey, caller: Sharer) -> list[dict]:
    return [s.as_dict() for s in _cf(request).sharing.list(caller.principal, case)]


@router.post("/cases/{case}/shares", status_code=201)
def create_share(request: Request, case: CaseKey, body: ShareRequest, caller: Sharer) -> dict:
    return (
        _cf(request)
        .sharing.create(
            caller.principal,
            case,
            body.partner,
            exhibits=body.exhibits,
            derivatives=body.derivatives,
            records=body.records,
            forms=body.forms,
            expires_in=timedelta(days=body.expires_in_days),
            allow_download=body.allow_download,
        )
        .as_dict()
    )


@router.post("/shares/{share}/revocation")
def revoke_share(request: Request, share: ItemId, body: Revoke, caller: Sharer) -> dict:
    return _cf(request).sharing.revoke(caller.principal, share, body.reason).as_dict()


@router.get("/shared/cases")
def shared_cases(request: Request, caller: SharedWithMe) -> list[dict]:
    """The cases shared with the calling partner (empty for everyone else)."""
    return _cf(request).sharing.partner_cases(caller.principal)


@router.get("/shared/cases/{case}/items")
def shared_items(request: Request, case: CaseKey, caller: Reader) -> list[dict]:
    return _cf(request).sharing.partner_items(caller.principal, case)


@router.get("/shared/cases/{case}/content/{item}", response_class=StreamingResponse)
def shared_content(
    request: Request,
    case: CaseKey,
    item: Sha256,
    caller: Reader,
    download: bool = False,
    justification: Annotated[str | None, Query(max_length=2000)] = None,
) -> StreamingResponse:
    """Shared content, by SHA-256 (exhibit references contain '/')."""
    vault = request.app.state.vault
    result = vault.casefile.sharing.authorise_content(
        caller.principal, case, item, download=download, justification=justification
    )
    handle = vault.blobs.open(result["sha256"])

    def chunks():
        with handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    disposition = "attachment" if download else "inline"
    return StreamingResponse(
        chunks(),
        media_type=result["mime_type"],
        headers={
            "Content-Length": str(result["size"]),
            "ETag": f'"{result["sha256"]}"',
            "Content-Disposition": f'{disposition}; filename="{result["sha256"][:16]}"',
        },
    )


# --- retention ------------------------------------------------------------------------------


@router.get("/retention/due")
def retention_due(
    request: Request, caller: Reviewer, as_of: date | None = None, all: bool = False
) -> list[dict]:
    queue = _cf(request).retention.queue(caller.principal, as_of=as_of, include_future=all)
    return [i.as_dict() for i in queue]


@router.put("/cases/{case}/outcome", status_code=204, response_class=Response)
def record_outcome(request: Request, case: CaseKey, body: OutcomeRequest, caller: CaseUpdater) -> Response:
    _cf(request).retention.record_outcome(
        caller.principal,
        case,
        body.outcome,
        body.outcome_date,
        custodial=body.custodial,
        release_date=body.release_date,
        offence_group=body.offence_group,
    )
    return Response(status_code=204)


@router.post("/retention/holds", status_code=201)
def place_hold(request: Request, body: HoldRequest, caller: HoldPlacer) -> dict:
    """A hold on a case (its officer in charge, or a retention reviewer who can see it) or on an
    item of media (retention reviewers)."""
    hold = _cf(request).retention.place_hold(
        caller.principal,
        body.kind,
        body.reason,
        case_key=body.case,
        media_key=body.media,
        reference=body.reference,
    )
    return {"id": hold}


@router.post("/retention/holds/{hold}/lift", status_code=204, response_class=Response)
def lift_hold(request: Request, hold: ItemId, body: Revoke, caller: Reviewer) -> Response:
    _cf(request).retention.lift_hold(caller.principal, hold, body.reason or "")
    return Response(status_code=204)


@router.post("/retention/decisions", status_code=201)
def retention_decision(request: Request, body: RetentionDecisionRequest, caller: Reviewer) -> dict:
    decision = _cf(request).retention.decide(
        caller.principal,
        body.subject,
        body.subject_id,
        body.decision,
        body.reason,
        retain_until=body.retain_until,
        authority=body.authority,
    )
    return {"id": decision}


@router.post("/retention/disposals", status_code=201)
def dispose(request: Request, body: DisposalRequest, caller: Reviewer) -> dict:
    return _cf(request).retention.dispose(
        caller.principal, body.subject, body.subject_id, reason=body.reason, authority=body.authority
    )


# --- bundles --------------------------------------------------------------------------------


@router.post("/cases/{case}/bundles", response_class=FileResponse)
def export_bundle(request: Request, case: CaseKey, body: BundleRequest, caller: Exporter) -> FileResponse:
    vault = request.app.state.vault
    scratch = FilePath(tempfile.mkdtemp(prefix="bundle-", dir=vault.settings.tmp_dir))
    out = scratch / f"bundle-{body.recipient}.zip"
    try:
        vault.casefile.bundles.export(caller.principal, case, body.recipient, out)
    except BaseException:
        _remove(scratch)
        raise
    return FileResponse(
        out, media_type="application/zip", filename=out.name, background=BackgroundTask(_remove, scratch)
    )


def _remove(path: FilePath) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
