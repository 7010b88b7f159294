"""The exhibit page: metadata, processing (derivatives and their provenance), custody trail,
and the content itself only after the person says why they are opening it.

Opening goes through ``access.grants`` (the API's own path): each grant is logged as a
consultation with the reason, and the player then streams ``/api/v1/content/<secret>`` with
Range requests and ``Cache-Control: no-store``. Small pictures for lists come through
``processing.open_derivative``, which authorises and logs each one too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from exhibits.errors import InvalidInput, JustificationRequired
from exhibits.evidence import queries
from exhibits.webui.i18n import _
from exhibits.webui.session import Viewer
from exhibits.webui.templating import PAGE_HEADERS, render

router = APIRouter()
TRAIL = 50
SMALL_PICTURES = ("thumbnail", "poster", "thumbnail-strip", "web")
PLAYABLE = ("video/mp4", "video/webm", "audio/mp4", "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav")


@dataclass(frozen=True)
class Opened:
    """What the page shows once content is open: short-lived URLs from access grants."""

    original: str
    original_mime: str
    player: str | None  # URL of something the browser plays or shows
    player_mime: str | None
    poster: str | None
    strip: str | None
    expires_at: Any


def _facts(state) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for processor in ("probe", "metadata", "video", "image-proxy"):
        merged.update(state.facts.get(processor, {}) or {})
    return merged


def _gps(state) -> dict[str, float] | None:
    for facts in state.facts.values():
        if isinstance(facts, dict) and isinstance(facts.get("gps"), dict):
            return facts["gps"]
    return None


def _exhibit_page(vault, principal, exhibit_id: str, why: tuple[str | None, str | None] | None = None):
    """The page's facts; with ``why`` (reason, own words), the content is opened first, so the
    trail shown already has the opening in it."""
    exhibit = queries.get_exhibit(vault, principal, exhibit_id)
    case = queries.get_case(vault, principal, exhibit.case_id)
    state = vault.processing.exhibit_processing(principal, exhibit.id)
    context: dict[str, Any] = {}
    if why is not None:
        try:
            context["opened"] = _open(vault, principal, exhibit.id, state, *why)
        except (JustificationRequired, InvalidInput) as exc:
            needed = isinstance(exc, JustificationRequired)
            context["open_error"] = _("Say why you are opening this evidence.") if needed else str(exc)
    _ref, events = vault.custody.exhibit_trail(principal, exhibit.case_id, exhibit.ref)
    events = list(reversed(events))
    return context | {
        "exhibit": exhibit,
        "case": case,
        "state": state,
        "facts": _facts(state),
        "gps": _gps(state),
        "events": events[:TRAIL],
        "more_events": len(events) > TRAIL,
        "reasons": vault.settings.justification_reasons,
        "reason_required": vault.settings.justification_policy == "required",
    }


def _open(vault, principal, exhibit_id: str, state, reason: str | None, text: str | None) -> Opened:
    grants = vault.access.grants

    def grant(sha256: str | None = None):
        return grants.grant(principal, exhibit_id, justification=text, reason=reason, sha256=sha256)

    def url(found) -> str:
        return f"/api/v1/content/{found.secret}"

    original = grant()
    by_kind = {d.kind: d for d in state.derivatives}
    player = player_mime = None
    proxy = by_kind.get("proxy") or by_kind.get("web")
    if proxy is not None:
        player, player_mime = url(grant(proxy.sha256)), proxy.mime_type
    elif original.mime_type in PLAYABLE or original.mime_type.startswith("image/"):
        player, player_mime = url(original), original.mime_type
    poster = by_kind.get("poster")
    strip = by_kind.get("thumbnail-strip")
    return Opened(
        url(original),
        original.mime_type,
        player,
        player_mime,
        url(grant(poster.sha256)) if poster else None,
        url(grant(strip.sha256)) if strip else None,
        original.expires_at,
    )


@router.get("/exhibits/{exhibit_id}", name="exhibit")
async def exhibit_page(request: Request, exhibit_id: str, caller: Viewer) -> Response:
    vault = request.app.state.vault
    context = await run_in_threadpool(_exhibit_page, vault, caller.principal, exhibit_id)
    return render(request, "exhibits/exhibit.html", context)


@router.post("/exhibits/{exhibit_id}/open", name="exhibit_open")
async def open_exhibit(request: Request, exhibit_id: str, caller: Viewer) -> Response:
    """Record why, then show the content (the player, the original, the frames)."""
    vault = request.app.state.vault
    form = await request.form()
    reason = str(form.get("reason") or "").strip() or None
    text = str(form.get("justification") or "").strip()[:2000] or None
    context = await run_in_threadpool(_exhibit_page, vault, caller.principal, exhibit_id, (reason, text))
    context["reason"], context["justification"] = reason, text
    return render(request, "exhibits/exhibit.html", context, status=400 if "open_error" in context else 200)


@router.get("/exhibits/{exhibit_id}/derivatives/{sha256}", name="exhibit_picture")
async def small_picture(request: Request, exhibit_id: str, sha256: str, caller: Viewer) -> Response:
    """A thumbnail or poster frame for lists (pictures only; never the evidence itself)."""
    vault = request.app.state.vault
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InvalidInput("not a SHA-256")
    opener = vault.processing.open_derivative
    view, handle = await run_in_threadpool(opener, caller.principal, exhibit_id, sha256)
    if view.kind not in SMALL_PICTURES or not view.mime_type.startswith("image/"):
        handle.close()
        raise InvalidInput("only thumbnails and frames are shown here: open the exhibit for its content")

    def chunks():
        with handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    headers = {**PAGE_HEADERS, "Content-Length": str(view.size)}
    return StreamingResponse(chunks(), media_type=view.mime_type, headers=headers)
