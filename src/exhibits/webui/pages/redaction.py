"""Redaction review: a case's redaction sets, and the review screen of one set (the clip with
its proposed masks drawn over it; accept, reject or keep each item; adjust a track at any
frame; draw a box and let the tracker carry it; render the redacted copy).

Every action is a ``RedactionService`` call, which authorises it against the case and records
a new set version in the custody log. The content itself opens only after a justification
(``GrantService.grant`` logs it); the short-lived link is kept in a cookie scoped to the set's
page, so the reviewer states it once per review rather than at every click.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from exhibits.errors import Conflict, InvalidInput
from exhibits.redaction.detection import DETECTORS
from exhibits.redaction.domain import REASONS, Box, ItemKind, ItemState, MediaKind, reason_label
from exhibits.redaction.views import SetView
from exhibits.webui.i18n import gettext as _
from exhibits.webui.links import add_case_link
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()
add_case_link("Redaction sets", "/cases/{case_id}/redaction")  # the msgid is in redaction/sets.html

REDACTABLE = ("video/", "image/", "audio/", "application/pdf")
PLAYABLE = ("video/mp4", "video/webm", "audio/mp4", "audio/mpeg", "audio/wav", "audio/x-wav")
VIEWABLE = ("image/jpeg", "image/png", "image/webp", "image/gif")
ASPECT = re.compile(r"^[1-9][0-9]{0,4}/[1-9][0-9]{0,4}$")
GRANT_URL = re.compile(r"^/api/v1/content/g_[A-Za-z0-9_-]{16,200}$")
PAGE_SIZE = 50


def done_messages() -> dict[str, str]:
    return {
        "created": _("The redaction set was created."),
        "proposed": _("Detection finished: its proposals are listed below."),
        "accepted": _("Accepted: these items will be redacted."),
        "rejected": _("Rejected as false detections."),
        "kept": _("Recorded as reviewed and not redacted."),
        "added": _("The box was added and accepted."),
        "tracked": _("The box was followed through the clip and added."),
        "adjusted": _("The item was adjusted."),
        "decided": _("The decision was recorded."),
        "rendered": _("The redacted copy was made from the original."),
        "opened": _("The clip is open for review; your reason was logged."),
        "opened-copy": _("The redacted copy is on the stage; your reason was logged."),
    }


def state_labels() -> dict[str, str]:
    return {
        "proposed": _("Proposed"),
        "accepted": _("Accepted"),
        "rejected": _("Rejected"),
        "kept": _("Kept (not redacted)"),
    }


def detector_labels() -> dict[str, str]:
    return {
        "faces": _("Faces"),
        "plates": _("Number plates"),
        "speech": _("Names and details spoken"),
        "text": _("Personal details in text"),
    }


def cookie_name(set_id: str) -> str:
    return f"exhibits_review_{set_id[:12]}"


def set_path(set_id: str) -> str:
    return f"/redaction/{set_id}"


def _vault(request: Request):
    return request.app.state.vault


def _redirect(set_id: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{set_path(set_id)}?done={done}{anchor}", status_code=303)


def _float(value: Any, what: str) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        raise InvalidInput(_("%(what)s is a number of seconds, e.g. 12.5") % {"what": what}) from None


def _box(value: Any) -> Box:
    parts = [p for p in re.split(r"[,\s]+", str(value or "").strip()) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise InvalidInput(_("a box is four fractions of the picture: left, top, width, height"))
    return Box.parse(numbers)


def _numbers(form) -> list[int]:
    try:
        return [int(n) for n in form.getlist("number")]
    except ValueError:
        raise InvalidInput(_("choose items by their numbers")) from None


# --- a case's sets ---------------------------------------------------------------------------


@router.get("/cases/{case}/redaction", name="redaction_sets")
def sets_page(request: Request, case: str, caller: Viewer):
    return _sets_page(request, caller, case)


def _sets_page(request: Request, caller, case: str, *, error: str | None = None, status: int = 200):
    vault = _vault(request)
    case_view, exhibits = vault.evidence.list_exhibits(caller.principal, case)
    sets = vault.redaction.list_sets(caller.principal, case_view.id)
    redactable = [e for e in exhibits if e.mime_type.startswith(REDACTABLE) and e.status == "active"]
    return render(
        request,
        "redaction/sets.html",
        {
            "case": case_view,
            "sets": sets[:PAGE_SIZE],
            "more_sets": len(sets) > PAGE_SIZE,
            "exhibits": redactable[:200],
            "error": error,
        },
        status=status,
    )


@router.post("/cases/{case}/redaction", name="redaction_create")
async def create_set(request: Request, case: str, caller: Viewer):
    form = await request.form()
    vault = _vault(request)
    try:
        created = await run_in_threadpool(
            vault.redaction.create_set,
            caller.principal,
            case,
            str(form.get("exhibit", "")),
            str(form.get("purpose", "")),
        )
    except InvalidInput as exc:
        return _sets_page(request, caller, case, error=str(exc), status=422)
    return _redirect(created.id, "created")


# --- one set: the review screen --------------------------------------------------------------


@router.get("/redaction/{set_id}", name="redaction_set")
def set_page(request: Request, set_id: str, caller: Viewer):
    return _set_page(request, caller, set_id)


def _media_source(request: Request, view: SetView) -> dict[str, Any] | None:
    """What the stage shows, if the reviewer opened it: the link and how to show it."""
    url = request.cookies.get(cookie_name(view.id), "")
    mime = request.cookies.get(cookie_name(view.id) + "_type", "")
    if not GRANT_URL.match(url):
        return None
    redacted = request.cookies.get(cookie_name(view.id) + "_shows") == "redacted"
    aspect = request.cookies.get(cookie_name(view.id) + "_aspect", "")
    aspect = aspect if ASPECT.match(aspect) else ""
    if mime.startswith("video/") or mime.startswith("audio/"):
        element = "video" if mime.startswith("video/") else "audio"
        return {"url": url, "element": element, "mime": mime, "redacted": redacted, "aspect": aspect}
    if mime in VIEWABLE:
        return {"url": url, "element": "img", "mime": mime, "redacted": redacted, "aspect": aspect}
    if mime == "application/pdf":  # the browser's own viewer, with the items listed by page below
        return {"url": url, "element": "link", "mime": mime, "redacted": redacted, "aspect": ""}
    return None


def _set_page(
    request: Request,
    caller,
    set_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
):
    vault = _vault(request)
    view = vault.redaction.show(caller.principal, set_id)
    items = list(view.items)
    pending = sum(1 for i in items if i.state == ItemState.PROPOSED)
    detectors = {
        name: label
        for name, label in detector_labels().items()
        if MediaKind(view.media_kind) in DETECTORS.get(name, frozenset())
    }
    done = request.query_params.get("done", "")
    return render(
        request,
        "redaction/review.html",
        {
            "set": view,
            "items": items,
            "items_json": [
                {"number": i.number, "kind": i.kind, "state": i.state, "geometry": i.geometry}
                for i in items
                if i.kind in ("track", "region")
            ],
            "pending": pending,
            "media": _media_source(request, view),
            "reasons": REASONS,
            "reason_label": reason_label,
            "states": state_labels(),
            "detectors": detectors,
            "justifications": vault.settings.justification_reasons,
            "done": done_messages().get(done),
            "error": error,
            "form": form or {},
        },
        status=status,
    )


async def _act(request: Request, caller, set_id: str, action, done: str, anchor: str = ""):
    """Run a service call for a posted form; errors come back on the same page."""
    form = await request.form()
    try:
        await run_in_threadpool(action, form)
    except (InvalidInput, Conflict) as exc:
        return _set_page(
            request, caller, set_id, error=str(exc), status=exc.status, form={k: form.get(k) for k in form}
        )
    return _redirect(set_id, done, anchor)


@router.post("/redaction/{set_id}/open", name="redaction_open")
async def open_media(request: Request, set_id: str, caller: Viewer):
    """State why, and get a short-lived link to the playable copy (the proxy, or the original)."""
    form = await request.form()
    vault = _vault(request)
    principal = caller.principal
    reason = str(form.get("reason", "")) or None
    justification = str(form.get("justification", "")) or None

    def grant():
        view = vault.redaction.show(principal, set_id)
        state = vault.processing.exhibit_processing(principal, view.exhibit_id)
        wanted = ("proxy",) if view.media_kind in ("video", "audio") else ("web",)
        proxy = next(
            (d for d in state.derivatives if d.kind in wanted and d.mime_type in PLAYABLE + VIEWABLE), None
        )
        chosen = proxy.sha256 if proxy else None
        probe = state.facts.get("probe") or {}
        width, height = probe.get("display_width"), probe.get("display_height")
        aspect = f"{width}/{height}" if isinstance(width, int) and isinstance(height, int) else ""
        return (
            view,
            vault.access.grants.grant(
                principal, view.exhibit_id, reason=reason, justification=justification, sha256=chosen
            ),
            aspect,
        )

    try:
        view, granted, aspect = await run_in_threadpool(grant)
    except InvalidInput as exc:
        return _set_page(request, caller, set_id, error=str(exc), status=exc.status)
    response = _redirect(view.id, "opened", "#stage")
    return _with_stage(request, response, view.id, granted, "original", aspect)


def _with_stage(request: Request, response, set_id: str, granted, showing: str, aspect: str = ""):
    """Keep the short-lived link for the set's page only, until the link itself expires (with
    the picture's shape, so the stage keeps its place while the clip loads)."""
    max_age = max(1, int((granted.expires_at - _vault(request).now()).total_seconds()))
    for name, value in (
        (cookie_name(set_id), f"/api/v1/content/{granted.secret}"),
        (cookie_name(set_id) + "_type", granted.mime_type),
        (cookie_name(set_id) + "_shows", showing),
        (cookie_name(set_id) + "_aspect", aspect),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=set_path(set_id),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


@router.post("/redaction/{set_id}/renders/{sha256}/open", name="redaction_open_render")
async def open_render(request: Request, set_id: str, sha256: str, caller: Viewer):
    """Play a redacted copy on the review stage (to check it), or fetch its report; opening either
    is logged with the reason, like any content."""
    form = await request.form()
    vault = _vault(request)
    principal = caller.principal
    reason = str(form.get("reason", "")) or None
    justification = str(form.get("justification", "")) or None

    def grant():
        view = vault.redaction.show(principal, set_id)
        known = {r.sha256 for r in view.renders} | {r.report_pdf_sha256 for r in view.renders}
        if sha256 not in known:
            raise InvalidInput(_("that is not a copy or report of this set"))
        return view, vault.access.grants.grant(
            principal, view.exhibit_id, reason=reason, justification=justification, sha256=sha256
        )

    try:
        view, granted = await run_in_threadpool(grant)
    except InvalidInput as exc:
        return _set_page(request, caller, set_id, error=str(exc), status=exc.status)
    if granted.mime_type == "application/pdf":  # the report: straight to the file
        return RedirectResponse(f"/api/v1/content/{granted.secret}", status_code=303)
    return _with_stage(request, _redirect(view.id, "opened-copy", "#stage"), view.id, granted, "redacted")


@router.post("/redaction/{set_id}/propose", name="redaction_propose")
async def propose(request: Request, set_id: str, caller: Viewer):
    vault = _vault(request)

    def action(form):
        detect = [str(d) for d in form.getlist("detect")]
        if not detect:
            raise InvalidInput(_("choose what to look for"))
        vault.redaction.propose(caller.principal, set_id, detect)

    return await _act(request, caller, set_id, action, "proposed", "#items")


@router.post("/redaction/{set_id}/review", name="redaction_review")
async def review(request: Request, set_id: str, caller: Viewer):
    """Accept, reject or keep the chosen items (or, with ``all``, every proposed item)."""
    vault = _vault(request)
    form = await request.form()
    state_value = str(form.get("state", ""))
    if state_value not in ("accepted", "rejected", "kept"):
        return _set_page(request, caller, set_id, error=_("choose accept, reject or keep"), status=422)

    def action(form):
        numbers = None if form.get("all") else _numbers(form)
        if numbers == []:
            raise InvalidInput(_("choose at least one item"))
        note = str(form.get("note", "")).strip() or None
        vault.redaction.review(caller.principal, set_id, numbers, ItemState(state_value), note=note)

    anchor = f"#item-{form.get('number')}" if form.get("number") else "#items"
    return await _act(request, caller, set_id, action, state_value, anchor)


@router.post("/redaction/{set_id}/adjust", name="redaction_adjust")
async def adjust(request: Request, set_id: str, caller: Viewer):
    """Set a track's box at one time (a new keyframe), or its start and end."""
    vault = _vault(request)

    def action(form):
        (number,) = _numbers(form) or [0]
        box = _box(form.get("box")) if str(form.get("box", "")).strip() else None
        at = _float(form.get("at"), _("Time")) if str(form.get("at", "")).strip() else None
        start = _float(form.get("start"), _("Start")) if str(form.get("start", "")).strip() else None
        end = _float(form.get("end"), _("End")) if str(form.get("end", "")).strip() else None
        item = vault.redaction.item(caller.principal, set_id, number)
        if item.kind == ItemKind.REGION:
            if box is None:
                raise InvalidInput(_("give the new box"))
            geometry = {**item.geometry, "box": box.as_list()}
            vault.redaction.adjust(caller.principal, set_id, number, geometry=geometry)
        else:
            vault.redaction.adjust(caller.principal, set_id, number, at=at, box=box, start=start, end=end)

    return await _act(request, caller, set_id, action, "adjusted", "#items")


@router.post("/redaction/{set_id}/add", name="redaction_add")
async def add(request: Request, set_id: str, caller: Viewer):
    """A box drawn by the reviewer: followed through the clip by the tracker, or held still."""
    vault = _vault(request)
    form = await request.form()
    follow = bool(form.get("follow"))

    def action(form):
        principal = caller.principal
        view = vault.redaction.show(principal, set_id)
        box = _box(form.get("box"))
        reason = str(form.get("reason", "")).strip()
        note = str(form.get("note", "")).strip() or None
        if view.media_kind == MediaKind.VIDEO:
            at = _float(form.get("at") or 0, _("Time"))
            if follow:
                vault.redaction.track(principal, set_id, at, box, reason, note=note)
                return
            start = _float(form.get("start") or at, _("Start"))
            end = _float(form.get("end") or at, _("End"))
            geometry = {"shape": "box", "start": start, "end": end, "keyframes": [[at, *box.as_list()]]}
            vault.redaction.add(principal, set_id, ItemKind.TRACK, geometry, reason, note=note)
        else:
            page = form.get("page")
            geometry = {"shape": "box", "box": box.as_list(), "page": int(page) if page else None}
            vault.redaction.add(principal, set_id, ItemKind.REGION, geometry, reason, note=note)

    return await _act(request, caller, set_id, action, "tracked" if follow else "added", "#items")


@router.post("/redaction/{set_id}/decision", name="redaction_decision")
async def decision(request: Request, set_id: str, caller: Viewer):
    vault = _vault(request)

    def action(form):
        vault.redaction.decide_not_redacted(
            caller.principal, set_id, str(form.get("reason", "other")), str(form.get("note", ""))
        )

    return await _act(request, caller, set_id, action, "decided", "#items")


@router.post("/redaction/{set_id}/render", name="redaction_render")
async def render_set(request: Request, set_id: str, caller: Viewer):
    vault = _vault(request)

    def action(form):
        vault.redaction.render(caller.principal, set_id)

    return await _act(request, caller, set_id, action, "rendered", "#renders")
