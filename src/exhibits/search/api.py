"""HTTP routes for search, links, transcripts and entities (``/api/v1``).

The API capability owns authentication; this module only needs two dependencies from it:
the vault of the process and the principal of the request. ``build_router`` takes them,
so the routes plug into whatever app the API plugin builds:

    app.include_router(build_router(vault=get_vault, principal=current_principal))

Errors are ExhibitsError subclasses, which the API maps to problem+json.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from exhibits.search.service import Filters

Mode = Literal["hybrid", "keyword", "semantic"]


class TranscriptCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edits: dict[int, Annotated[str, Field(min_length=1, max_length=5000)]] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=2000)


class EntityAddition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    value: str = Field(min_length=1, max_length=300)
    text: str | None = None


class EntityCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remove: list[int] = Field(default_factory=list)
    add: list[EntityAddition] = Field(default_factory=list)
    reason: str = Field(min_length=1, max_length=2000)


class LinkDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    other_case: str
    type: str
    value: str = Field(min_length=1, max_length=300)
    other_value: str | None = Field(default=None, max_length=300)
    decision: Literal["confirmed", "rejected"]
    note: str | None = Field(default=None, max_length=2000)


def build_router(*, vault: Callable[..., Any], principal: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["search"])
    Vault = Annotated[Any, Depends(vault)]
    Principal = Annotated[Any, Depends(principal)]

    @router.get("/search")
    def search(
        v: Vault,
        who: Principal,
        q: Annotated[str, Query(min_length=1, max_length=500)],
        case: str | None = None,
        type: Literal["video", "audio", "image", "document"] | None = None,
        layer: Literal["transcript", "ocr", "document", "metadata"] | None = None,
        date_from: Annotated[datetime | None, Query(alias="from")] = None,
        date_to: Annotated[datetime | None, Query(alias="to")] = None,
        producer: Annotated[str | None, Query(max_length=200)] = None,
        entity: Annotated[str | None, Query(max_length=32)] = None,
        mode: Mode = "hybrid",
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> dict[str, Any]:
        filters = Filters(case, type, layer, date_from, date_to, producer, entity)
        return v.search.search(who, q, filters, mode=mode, limit=limit, offset=offset).as_dict()

    @router.get("/cases/{case}/links")
    def links(v: Vault, who: Principal, case: str) -> dict[str, Any]:
        view, found = v.search.links.links(who, case)
        return {"case": view.crime_ref, "links": [link.as_dict() for link in found]}

    @router.post("/cases/{case}/links/decisions", status_code=201)
    def decide(v: Vault, who: Principal, case: str, body: LinkDecisionIn) -> dict[str, str]:
        v.search.links.decide(
            who,
            case,
            body.other_case,
            type=body.type,
            value=body.value,
            other_value=body.other_value,
            decision=body.decision,
            note=body.note,
        )
        return {"decision": body.decision}

    @router.get("/cases/{case}/exhibits/{exhibit}/transcript.{fmt}", response_class=PlainTextResponse)
    def export(
        v: Vault,
        who: Principal,
        case: str,
        exhibit: str,
        fmt: Literal["vtt", "srt", "txt"],
        revision: Annotated[int | None, Query(ge=0)] = None,
    ) -> PlainTextResponse:
        media = {"vtt": "text/vtt", "srt": "application/x-subrip", "txt": "text/plain"}[fmt]
        text = v.analysis.export_transcript(who, case, exhibit, fmt, revision=revision)
        return PlainTextResponse(text, media_type=f"{media}; charset=utf-8")

    # Exhibit references contain slashes (JS/1/3), so URLs name an exhibit by its id
    # (find_exhibit accepts either).
    @router.get("/cases/{case}/exhibits/{exhibit}/{kind}")
    def analysis(
        v: Vault,
        who: Principal,
        case: str,
        exhibit: str,
        kind: Literal["transcript", "entities"],
        revision: Annotated[int | None, Query(ge=0)] = None,
    ) -> dict[str, Any]:
        return v.analysis.get(who, case, exhibit, kind, revision=revision).as_dict()

    @router.post("/cases/{case}/exhibits/{exhibit}/transcript/corrections", status_code=201)
    def correct_transcript(
        v: Vault, who: Principal, case: str, exhibit: str, body: TranscriptCorrection
    ) -> dict[str, Any]:
        return v.analysis.correct_transcript(who, case, exhibit, body.edits, body.reason).as_dict()

    @router.post("/cases/{case}/exhibits/{exhibit}/entities/corrections", status_code=201)
    def correct_entities(
        v: Vault, who: Principal, case: str, exhibit: str, body: EntityCorrection
    ) -> dict[str, Any]:
        additions = [a.model_dump(exclude_none=True) for a in body.add]
        return v.analysis.correct_entities(
            who, case, exhibit, remove=body.remove, add=additions, reason=body.reason
        ).as_dict()

    return router
