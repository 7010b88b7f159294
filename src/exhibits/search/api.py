"""HTTP routes for search, links, transcripts and entities (``/api/v1``), included by the API
application through the search plugin's ``exhibits_api`` hook.

Each route declares its permission with ``web.auth.requires``. Cases are named by id or URN
and exhibits by id (references contain '/'); the services resolve them and check the declared
permission on what they resolve (the ``service`` scope). Search itself answers only from cases
the caller may read (the ``cases`` scope). Errors are ExhibitsError subclasses, which the API
maps to problem+json.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from exhibits.access.permissions import Permission
from exhibits.search.service import Filters
from exhibits.web.auth import Caller, requires

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


router = APIRouter(prefix="/api/v1", tags=["search"])
CaseKey = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", description="Case id or URN")
]
ExhibitKey = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Searcher = Annotated[Caller, requires(Permission.EXHIBIT_READ, "cases")]
Reader = Annotated[Caller, requires(Permission.EXHIBIT_READ, "service")]
ContentReader = Annotated[Caller, requires(Permission.EXHIBIT_CONTENT, "service")]  # a transcript is content
Decider = Annotated[Caller, requires(Permission.LINK_DECIDE, "service")]
Corrector = Annotated[Caller, requires(Permission.ANALYSIS_CORRECT, "service")]


def _vault(request: Request) -> Any:
    return request.app.state.vault


@router.get("/search")
def search(
    request: Request,
    caller: Searcher,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    case: Annotated[str | None, Query(max_length=64)] = None,
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
    """Keyword and semantic search over everything the caller may see (nothing else is counted)."""
    filters = Filters(case, type, layer, date_from, date_to, producer, entity)
    answer = _vault(request).search.search(
        caller.principal, q, filters, mode=mode, limit=limit, offset=offset
    )
    return answer.as_dict()


@router.get("/cases/{case}/links")
def links(request: Request, caller: Reader, case: CaseKey) -> dict[str, Any]:
    view, found = _vault(request).search.links.links(caller.principal, case)
    return {"case": view.crime_ref, "links": [link.as_dict() for link in found]}


@router.post("/cases/{case}/links/decisions", status_code=201)
def decide(request: Request, caller: Decider, case: CaseKey, body: LinkDecisionIn) -> dict[str, str]:
    _vault(request).search.links.decide(
        caller.principal,
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
    request: Request,
    caller: ContentReader,
    case: CaseKey,
    exhibit: ExhibitKey,
    fmt: Literal["vtt", "srt", "txt"],
    revision: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> PlainTextResponse:
    media = {"vtt": "text/vtt", "srt": "application/x-subrip", "txt": "text/plain"}[fmt]
    text = _vault(request).analysis.export_transcript(caller.principal, case, exhibit, fmt, revision=revision)
    return PlainTextResponse(text, media_type=f"{media}; charset=utf-8")


# Exhibit references contain slashes (JS/1/3), so URLs name an exhibit by its id
# (find_exhibit accepts either).
@router.get("/cases/{case}/exhibits/{exhibit}/{kind}")
def analysis(
    request: Request,
    caller: ContentReader,
    case: CaseKey,
    exhibit: ExhibitKey,
    kind: Literal["transcript", "entities"],
    revision: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> dict[str, Any]:
    return _vault(request).analysis.get(caller.principal, case, exhibit, kind, revision=revision).as_dict()


@router.post("/cases/{case}/exhibits/{exhibit}/transcript/corrections", status_code=201)
def correct_transcript(
    request: Request, caller: Corrector, case: CaseKey, exhibit: ExhibitKey, body: TranscriptCorrection
) -> dict[str, Any]:
    analysis = _vault(request).analysis
    return analysis.correct_transcript(caller.principal, case, exhibit, body.edits, body.reason).as_dict()


@router.post("/cases/{case}/exhibits/{exhibit}/entities/corrections", status_code=201)
def correct_entities(
    request: Request, caller: Corrector, case: CaseKey, exhibit: ExhibitKey, body: EntityCorrection
) -> dict[str, Any]:
    additions = [a.model_dump(exclude_none=True) for a in body.add]
    return (
        _vault(request)
        .analysis.correct_entities(
            caller.principal, case, exhibit, remove=body.remove, add=additions, reason=body.reason
        )
        .as_dict()
    )
