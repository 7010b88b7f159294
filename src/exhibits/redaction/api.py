"""HTTP routes for reviewing redaction sets, included by the API application through the
``exhibits_api`` hook: list and start sets, see what detection proposed, add regions and spans
by hand, accept, reject or keep items with a reason, and render the set into a derivative.

Sets are named by their id, which only this capability resolves: the routes use the
``service`` scope and the service checks the declared permission on the set's case (404 for
anyone not assigned to it). Detection and assisted tracking, which can run for minutes over a
long video, are run from the CLI (``exhibits redact propose|track``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.redaction.domain import Box, ItemKind, ItemState
from exhibits.web.auth import Caller, requires

router = APIRouter(prefix="/api/v1", tags=["redaction"])
CaseKey = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", description="Case id or URN")
]
Id = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Number = Annotated[int, Path(ge=1, le=1_000_000)]
Reader = Annotated[Caller, requires(Permission.EXHIBIT_READ, "service")]
Editor = Annotated[
    Caller, requires(Permission.REDACTION_EDIT, "service", note="rendering also needs exhibit:content")
]
Reason = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
Seconds = Annotated[float, Field(ge=0, le=7 * 24 * 3600)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewSet(_Body):
    purpose: Annotated[str, Field(min_length=1, max_length=200, examples=["CPS charging file"])]


class NewItem(_Body):
    """A region (image or PDF page: ``{"shape", "box": [x, y, w, h], "page"}``), a track (video:
    ``{"shape", "start", "end", "keyframes": [[t, x, y, w, h], ...]}``) or an audio span
    (``{"start", "end", "effect"}``); boxes are fractions of the picture."""

    kind: Literal["region", "track", "audio", "text"]
    geometry: dict[str, Any]
    reason: Reason
    note: Note | None = None


class Review(_Body):
    """Items to accept, reject or keep (reviewed, not redacted: say why in ``note``);
    no ``numbers`` means every item still proposed."""

    numbers: Annotated[list[Annotated[int, Field(ge=1, le=1_000_000)]], Field(max_length=10_000)] | None = (
        None
    )
    state: Literal["accepted", "rejected", "kept"]
    reason: Reason | None = None
    note: Note | None = None


class NotRedacted(_Body):
    reason: Reason
    note: Note


class Adjustment(_Body):
    """A track's box at one time (``at`` + ``box``), its ``start`` or ``end``, or a whole
    region's ``geometry``."""

    at: Seconds | None = None
    box: Annotated[list[float], Field(min_length=4, max_length=4)] | None = None
    start: Seconds | None = None
    end: Seconds | None = None
    geometry: dict[str, Any] | None = None


def _service(request: Request) -> Any:
    return request.app.state.vault.redaction


@router.get("/cases/{case}/redaction-sets")
async def list_sets(
    request: Request,
    case: CaseKey,
    caller: Reader,
    exhibit: Annotated[str | None, Query(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")] = None,
) -> list[dict[str, Any]]:
    """The case's redaction sets (or one exhibit's), without their items."""
    views = await run_in_threadpool(_service(request).list_sets, caller.principal, case, exhibit)
    return [v.as_dict() for v in views]


@router.post("/cases/{case}/exhibits/{exhibit_id}/redaction-sets", status_code=201)
async def create_set(
    request: Request, case: CaseKey, exhibit_id: Id, body: NewSet, caller: Editor
) -> dict[str, Any]:
    view = await run_in_threadpool(
        _service(request).create_set, caller.principal, case, exhibit_id, body.purpose
    )
    return view.as_dict()


@router.get("/redaction-sets/{set_id}")
async def show_set(request: Request, set_id: Id, caller: Reader) -> dict[str, Any]:
    """The set with every item: what detection proposed, what people added and decided."""
    view = await run_in_threadpool(_service(request).show, caller.principal, set_id)
    return view.as_dict()


@router.post("/redaction-sets/{set_id}/items", status_code=201)
async def add_item(request: Request, set_id: Id, body: NewItem, caller: Editor) -> dict[str, Any]:
    """A region, track or span drawn by a person (accepted as they make it)."""
    view = await run_in_threadpool(
        lambda: _service(request).add(
            caller.principal, set_id, ItemKind(body.kind), body.geometry, body.reason, note=body.note
        )
    )
    return view.as_dict()


@router.patch("/redaction-sets/{set_id}/items/{number}")
async def adjust_item(
    request: Request, set_id: Id, number: Number, body: Adjustment, caller: Editor
) -> dict[str, Any]:
    box = Box.parse(body.box) if body.box is not None else None
    view = await run_in_threadpool(
        lambda: _service(request).adjust(
            caller.principal, set_id, number, at=body.at, box=box, start=body.start, end=body.end,
            geometry=body.geometry,
        )
    )  # fmt: skip
    return view.as_dict()


@router.post("/redaction-sets/{set_id}/review")
async def review(request: Request, set_id: Id, body: Review, caller: Editor) -> dict[str, Any]:
    view = await run_in_threadpool(
        lambda: _service(request).review(
            caller.principal, set_id, body.numbers, ItemState(body.state), reason=body.reason, note=body.note
        )
    )
    return view.as_dict()


@router.post("/redaction-sets/{set_id}/not-redacted", status_code=201)
async def not_redacted(request: Request, set_id: Id, body: NotRedacted, caller: Editor) -> dict[str, Any]:
    """A set-level "reviewed, not redacted" decision, with the reason and who decided."""
    view = await run_in_threadpool(
        _service(request).decide_not_redacted, caller.principal, set_id, body.reason, body.note
    )
    return view.as_dict()


@router.post("/redaction-sets/{set_id}/renders", status_code=201)
async def render(request: Request, set_id: Id, caller: Editor) -> dict[str, Any]:
    """Render the set's current version from the original into a new derivative (redacted
    image, PDF or video, with its report); the original is never touched."""
    view = await run_in_threadpool(lambda: _service(request).render(caller.principal, set_id))
    return view.as_dict()
