"""Custody: an exhibit's and a case's trail, the signed checkpoint, proofs, verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.custody.exhibit_verify import verify_exhibit
from exhibits.web.api.cases import CaseId
from exhibits.web.api.exhibits import ExhibitId
from exhibits.web.api.schemas import EventOut, VerificationOut
from exhibits.web.auth import Caller, requires

router = APIRouter(prefix="/api/v1", tags=["custody"])
Size = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("/exhibits/{exhibit_id}/custody")
async def exhibit_trail(
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.CUSTODY_READ, "exhibit")],
) -> list[EventOut]:
    """Every event about this exhibit and the content behind it, in log order."""
    vault = request.app.state.vault

    def trail():
        from exhibits.evidence.models import Exhibit

        with vault.reading() as session:
            exhibit = session.get(Exhibit, exhibit_id)
            case_id = exhibit.case_id if exhibit else exhibit_id
        return vault.custody.exhibit_trail(caller.principal, case_id, exhibit_id)[1]

    events = await run_in_threadpool(trail)
    return [EventOut(**e.as_dict()) for e in events]


@router.get("/cases/{case_id}/custody")
async def case_trail(
    request: Request,
    case_id: CaseId,
    caller: Annotated[Caller, requires(Permission.CUSTODY_READ, "case")],
    continuity_only: bool = True,
) -> list[EventOut]:
    """The case's continuity trail (add ?continuity_only=false for reads and administration too)."""
    events = await run_in_threadpool(
        lambda: request.app.state.vault.custody.case_trail(
            caller.principal, case_id, continuity_only=continuity_only
        )
    )
    return [EventOut(**e.as_dict()) for e in events]


@router.get("/custody/checkpoint")
async def checkpoint(
    request: Request, caller: Annotated[Caller, requires(Permission.LOG_PROOF)]
) -> dict[str, object]:
    """The latest signed checkpoint (C2SP signed note) and the keys that verify it."""
    vault = request.app.state.vault

    def latest() -> dict[str, object]:
        with vault.reading() as session:
            head = vault.log.head(session)
            keys = [k.vkey for k in vault.log.keys(session)]
        return {"size": head.size, "root": head.root.hex(), "note": head.note, "verifier_keys": keys}

    return await run_in_threadpool(latest)


@router.get("/custody/events/{seq}/proof")
async def inclusion_proof(
    request: Request,
    seq: Annotated[int, Path(ge=0, le=2**62)],
    caller: Annotated[Caller, requires(Permission.CUSTODY_READ, "event")],
    tree_size: Size = None,
) -> dict[str, object]:
    """RFC 9162 inclusion proof of one event (yours to see) in a tree of the given size."""
    vault = request.app.state.vault

    def prove() -> dict[str, object]:
        proof = vault.custody.inclusion(seq, tree_size)
        details = {"seq": seq, "tree_size": proof["tree_size"]}
        vault.consulted(caller.principal, "custody.proof", details=details)
        return proof

    return await run_in_threadpool(prove)


@router.get("/custody/consistency")
async def consistency_proof(
    request: Request,
    caller: Annotated[Caller, requires(Permission.LOG_PROOF)],
    old_size: Annotated[int, Query(ge=1, le=2**62)],
    new_size: Size = None,
) -> dict[str, object]:
    """RFC 9162 consistency proof: the log of ``old_size`` events is a prefix of today's."""
    return await run_in_threadpool(request.app.state.vault.custody.consistency, old_size, new_size)


@router.post("/exhibits/{exhibit_id}/verify")
async def verify(
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.CUSTODY_READ, "exhibit")],
) -> VerificationOut:
    """Re-hash the exhibit's content and prove each event of its trail is in the signed log."""
    result = await run_in_threadpool(verify_exhibit, request.app.state.vault, caller.principal, exhibit_id)
    return VerificationOut(**result.as_dict())
