"""HTTP routes of the case file, for the API application to include.

The application wires two dependencies before including ``router``:

    app.dependency_overrides[casefile_api.current_vault] = <its vault dependency>
    app.dependency_overrides[casefile_api.current_principal] = <its authenticated-principal dependency>

Errors are ExhibitsError subclasses, which the application maps to problem+json (a defence
user asking for a non-disclosable form gets 404). ``{case}`` is a case id or URN (crime
references may contain '/').
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from exhibits.access.principal import Principal
from exhibits.vault import Vault

router = APIRouter(prefix="/api/v1", tags=["case file"])


def current_vault() -> Vault:
    raise RuntimeError("the application must override exhibits.casefile.api.current_vault")


def current_principal() -> Principal:
    raise RuntimeError("the application must override exhibits.casefile.api.current_principal")


VaultDep = Annotated[Vault, Depends(current_vault)]
Who = Annotated[Principal, Depends(current_principal)]


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
def list_records(case: str, vault: VaultDep, who: Who, form: str | None = None) -> list[dict]:
    return [v.as_dict() for v in vault.casefile.records.list(who, case, form=form)]


@router.post("/cases/{case}/casefile/records", status_code=201)
def create_record(case: str, body: NewRecord, vault: VaultDep, who: Who) -> dict:
    view = vault.casefile.records.create(
        who, case, body.form, body.data, title=body.title, linked_id=body.linked_id
    )
    return view.as_dict()


@router.get("/casefile/records/{record}")
def get_record(record: str, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.records.get(who, record).as_dict()


@router.get("/casefile/records/{record}/versions")
def record_versions(record: str, vault: VaultDep, who: Who) -> list[dict]:
    return vault.casefile.records.history(who, record)


@router.put("/casefile/records/{record}")
def update_record(record: str, body: RecordData, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.records.update(who, record, body.data).as_dict()


@router.post("/casefile/records/{record}/signature")
def sign_record(record: str, body: Signature, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.records.sign(who, record, signed_by=body.signed_by, method=body.method).as_dict()


@router.post("/casefile/records/{record}/amendment", status_code=201)
def amend_record(record: str, body: RecordData, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.records.amend_statement(who, record, body.data).as_dict()


@router.post("/casefile/records/{record}/sign-off")
def sign_off_record(record: str, body: SignOff, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.records.sign_off(who, record, note=body.note).as_dict()


@router.get("/cases/{case}/casefile/forms/{form}.pdf")
def form_pdf(case: str, form: str, vault: VaultDep, who: Who) -> Response:
    stem, pdf, _ = vault.casefile.render(who, case, form)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{stem}.pdf"'}
    )


@router.get("/cases/{case}/casefile/forms/{form}.json")
def form_json(case: str, form: str, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.render(who, case, form)[2]


@router.get("/cases/{case}/people")
def list_people(case: str, vault: VaultDep, who: Who) -> list[dict]:
    return [p.as_dict() for p in vault.casefile.records.list_people(who, case)]


@router.post("/cases/{case}/people", status_code=201)
def add_person(case: str, body: dict[str, Any], vault: VaultDep, who: Who) -> dict:
    return vault.casefile.records.add_person(who, case, body).as_dict()


# --- disclosure -----------------------------------------------------------------------------


@router.get("/cases/{case}/unused")
def unused_items(case: str, vault: VaultDep, who: Who, schedule: str | None = None) -> list[dict]:
    from exhibits.access.permissions import Role

    defence = Role.DEFENCE in who.roles
    return [i.as_dict(for_defence=defence) for i in vault.casefile.disclosure.schedule(who, case, schedule)]


@router.post("/cases/{case}/unused", status_code=201)
def add_unused(case: str, body: UnusedRequest, vault: VaultDep, who: Who) -> list[dict]:
    disclosure = vault.casefile.disclosure
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
def decide_unused(case: str, item_no: int, body: Decision, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.disclosure.decide(who, case, item_no, body.decision, body.reason).as_dict()


# --- sharing ----------------------------------------------------------------------------------


@router.get("/cases/{case}/shares")
def list_shares(case: str, vault: VaultDep, who: Who) -> list[dict]:
    return [s.as_dict() for s in vault.casefile.sharing.list(who, case)]


@router.post("/cases/{case}/shares", status_code=201)
def create_share(case: str, body: ShareRequest, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.sharing.create(
        who,
        case,
        body.partner,
        exhibits=body.exhibits,
        derivatives=body.derivatives,
        records=body.records,
        forms=body.forms,
        expires_in=timedelta(days=body.expires_in_days),
        allow_download=body.allow_download,
    ).as_dict()


@router.post("/shares/{share}/revocation")
def revoke_share(share: str, body: Revoke, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.sharing.revoke(who, share, body.reason).as_dict()


@router.get("/shared/cases")
def shared_cases(vault: VaultDep, who: Who) -> list[dict]:
    return vault.casefile.sharing.partner_cases(who)


@router.get("/shared/cases/{case}/items")
def shared_items(case: str, vault: VaultDep, who: Who) -> list[dict]:
    return vault.casefile.sharing.partner_items(who, case)


@router.get("/shared/cases/{case}/content/{item}")
def shared_content(
    case: str,
    item: str,
    vault: VaultDep,
    who: Who,
    download: bool = False,
    justification: Annotated[str | None, Query(max_length=2000)] = None,
) -> StreamingResponse:
    result = vault.casefile.sharing.authorise_content(
        who, case, item, download=download, justification=justification
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
def retention_due(vault: VaultDep, who: Who, as_of: date | None = None, all: bool = False) -> list[dict]:
    return [i.as_dict() for i in vault.casefile.retention.queue(who, as_of=as_of, include_future=all)]


@router.put("/cases/{case}/outcome", status_code=204)
def record_outcome(case: str, body: OutcomeRequest, vault: VaultDep, who: Who) -> Response:
    vault.casefile.retention.record_outcome(
        who,
        case,
        body.outcome,
        body.outcome_date,
        custodial=body.custodial,
        release_date=body.release_date,
        offence_group=body.offence_group,
    )
    return Response(status_code=204)


@router.post("/retention/holds", status_code=201)
def place_hold(body: HoldRequest, vault: VaultDep, who: Who) -> dict:
    hold = vault.casefile.retention.place_hold(
        who, body.kind, body.reason, case_key=body.case, media_key=body.media, reference=body.reference
    )
    return {"id": hold}


@router.post("/retention/holds/{hold}/lift", status_code=204)
def lift_hold(hold: str, body: Revoke, vault: VaultDep, who: Who) -> Response:
    vault.casefile.retention.lift_hold(who, hold, body.reason or "")
    return Response(status_code=204)


@router.post("/retention/decisions", status_code=201)
def retention_decision(body: RetentionDecisionRequest, vault: VaultDep, who: Who) -> dict:
    decision = vault.casefile.retention.decide(
        who,
        body.subject,
        body.subject_id,
        body.decision,
        body.reason,
        retain_until=body.retain_until,
        authority=body.authority,
    )
    return {"id": decision}


@router.post("/retention/disposals", status_code=201)
def dispose(body: DisposalRequest, vault: VaultDep, who: Who) -> dict:
    return vault.casefile.retention.dispose(
        who, body.subject, body.subject_id, reason=body.reason, authority=body.authority
    )


# --- bundles --------------------------------------------------------------------------------


@router.post("/cases/{case}/bundles")
def export_bundle(case: str, body: BundleRequest, vault: VaultDep, who: Who) -> FileResponse:
    scratch = Path(tempfile.mkdtemp(prefix="bundle-", dir=vault.settings.tmp_dir))
    out = scratch / f"bundle-{body.recipient}.zip"
    try:
        vault.casefile.bundles.export(who, case, body.recipient, out)
    except BaseException:
        _remove(scratch)
        raise
    return FileResponse(
        out, media_type="application/zip", filename=out.name, background=BackgroundTask(_remove, scratch)
    )


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
