"""The retention review queue (supervisors): what is due for review under CPIA, MoPI and the
force's policy, with its holds; decide to retain (until a date) or dispose, carry out a
decided disposal, and place holds. ``RetentionService`` authorises (``retention:review``),
logs each decision and signs each disposal certificate into the custody log."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from exhibits.casefile.retention import HOLD_KINDS
from exhibits.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exhibits.webui.i18n import gettext as _
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()

PAGE_SIZE = 50
SUBJECTS = ("media", "exhibit", "person")


def done_messages() -> dict[str, str]:
    return {
        "retain": _("Recorded: retain until the next review."),
        "dispose": _("Recorded: to be disposed of. Carry out the disposal when ready."),
        "disposed": _("Disposed of. The signed certificate is in the custody log."),
        "held": _("The hold was placed: nothing it covers can be disposed of."),
    }


def subject_labels() -> dict[str, str]:
    return {"media": _("Unassigned footage"), "exhibit": _("Exhibit"), "person": _("Person record")}


def hold_labels() -> dict[str, str]:
    return {
        "appeal": _("Appeal in progress"),
        "ccrc": _("Criminal Cases Review Commission application"),
        "iopc": _("IOPC complaint or investigation"),
        "civil": _("Civil claim"),
        "inquest": _("Coroner's inquest"),
    }


def _text(form, name: str) -> str:
    return str(form.get(name, "") or "").strip()


@router.get("/retention", name="retention")
def queue_page(request: Request, caller: Viewer):
    return _queue_page(request, caller)


def _queue_page(request: Request, caller, *, error: str | None = None, status: int = 200):
    vault = request.app.state.vault
    show_all = request.query_params.get("all") == "1"
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    items = vault.casefile.retention.queue(caller.principal, include_future=show_all)
    start = (page - 1) * PAGE_SIZE
    shown = items[start : start + PAGE_SIZE]
    suffix = "&all=1" if show_all else ""
    return render(
        request,
        "retention/queue.html",
        {
            "items": shown,
            "total": len(items),
            "page": page,
            "prev_url": f"/retention?page={page - 1}{suffix}" if page > 1 else None,
            "next_url": f"/retention?page={page + 1}{suffix}" if len(items) > start + PAGE_SIZE else None,
            "show_all": show_all,
            "today": vault.now().date(),
            "subjects": subject_labels(),
            "hold_kinds": {k: hold_labels().get(k, v) for k, v in HOLD_KINDS.items()},
            "done": done_messages().get(request.query_params.get("done", "")),
            "error": error,
        },
        status=status,
    )


def _back(done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/retention?done={done}{anchor}", status_code=303)


@router.post("/retention/decisions", name="retention_decide")
async def decide(request: Request, caller: Viewer):
    form = await request.form()
    vault = request.app.state.vault
    subject, subject_id = _text(form, "subject"), _text(form, "subject_id")
    decision = _text(form, "decision")

    def record() -> None:
        until = None
        if decision == "retain":
            raw = _text(form, "retain_until")
            if not raw:
                raise InvalidInput(_("a decision to retain gives the date of the next review"))
            try:
                until = date.fromisoformat(raw)
            except ValueError:
                raise InvalidInput(_("the next review is a date such as 2027-11-21")) from None
        vault.casefile.retention.decide(
            caller.principal,
            subject,
            subject_id,
            decision,
            _text(form, "reason"),
            retain_until=until,
            authority=_text(form, "authority") or None,
        )

    try:
        await run_in_threadpool(record)
    except (InvalidInput, NotFound) as exc:
        return _queue_page(request, caller, error=str(exc), status=exc.status)
    return _back("retain" if decision == "retain" else "dispose", f"#due-{subject_id}")


@router.post("/retention/disposals", name="retention_dispose")
async def dispose(request: Request, caller: Viewer):
    form = await request.form()
    vault = request.app.state.vault
    try:
        await run_in_threadpool(
            lambda: vault.casefile.retention.dispose(
                caller.principal,
                _text(form, "subject"),
                _text(form, "subject_id"),
                reason=_text(form, "reason"),
                authority=_text(form, "authority"),
            )
        )
    except (InvalidInput, NotFound, Conflict, PermissionDenied) as exc:
        return _queue_page(request, caller, error=str(exc), status=exc.status)
    return _back("disposed")


@router.post("/retention/holds", name="retention_hold")
async def hold(request: Request, caller: Viewer):
    form = await request.form()
    vault = request.app.state.vault
    try:
        await run_in_threadpool(
            lambda: vault.casefile.retention.place_hold(
                caller.principal,
                _text(form, "kind"),
                _text(form, "reason"),
                case_key=_text(form, "case") or None,
                reference=_text(form, "reference") or None,
            )
        )
    except (InvalidInput, NotFound) as exc:
        return _queue_page(request, caller, error=str(exc), status=exc.status)
    return _back("held")
