"""HTTP routes of the processing pipeline, included by the API application through the
``exhibits_api`` hook: an exhibit's processing state, and stills and clips cut from a video.

Both name the exhibit by id, so the application checks the declared permission on that
exhibit (restrictions included) before the service runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.web.auth import Caller, requires

router = APIRouter(prefix="/api/v1", tags=["processing"])
Id = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]


class CutIn(BaseModel):
    """A still at ``start``, or a clip from ``start`` to ``end`` (seconds into the video)."""

    model_config = ConfigDict(extra="forbid")
    start: float = Field(ge=0, le=7 * 24 * 3600)
    end: float | None = Field(default=None, gt=0, le=7 * 24 * 3600)
    producer: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=2000)


@router.get("/exhibits/{exhibit_id}/processing")
async def exhibit_processing(
    request: Request, exhibit_id: Id, caller: Annotated[Caller, requires(Permission.EXHIBIT_READ, "exhibit")]
) -> dict[str, Any]:
    """Where the exhibit's content is in the pipeline: jobs (with a reason when one failed),
    facts, derivatives and archive members."""
    processing = request.app.state.vault.processing
    view = await run_in_threadpool(processing.exhibit_processing, caller.principal, exhibit_id)
    return view.as_dict()


@router.post("/cases/{case_id}/exhibits/{exhibit_id}/cuts", status_code=201)
async def cut(
    request: Request,
    case_id: Id,
    exhibit_id: Id,
    body: CutIn,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_ADD, "exhibit")],
) -> dict[str, Any]:
    """Cut a still or a clip from a video exhibit: a new exhibit of the same case that records
    its parent, the times and the tool (the service also needs ``exhibit:content``)."""
    processing = request.app.state.vault.processing
    view = await run_in_threadpool(
        lambda: processing.cut(
            caller.principal, case_id, exhibit_id, start=body.start, end=body.end,
            producer=body.producer, description=body.description,
        )
    )  # fmt: skip
    return view.as_dict()
