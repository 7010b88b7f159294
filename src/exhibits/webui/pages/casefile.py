"""The case file: MG form records (write, sign, supervisor sign-off), the unused material
schedules with the prosecutor's decisions, and shares with the CPS and the defence.

Each action is one call of ``vault.casefile`` (records, disclosure, sharing), which
authorises it against the case, and logs it; these pages only gather the form and show the
answer. Posts go back to the page they came from (``?done=``) so a refresh repeats nothing.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import EXTERNAL_ROLES, Role
from exhibits.casefile.disclosure import DECISION_WORDS, DECISIONS
from exhibits.casefile.forms import FORM_TYPES
from exhibits.casefile.sharing import GENERATED_FORMS, MAX_SHARE_DAYS
from exhibits.errors import Conflict, InvalidInput, PermissionDenied
from exhibits.webui.i18n import gettext as _
from exhibits.webui.links import add_case_link
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()
add_case_link("Case file", "/cases/{case_id}/casefile")  # the msgid is in casefile/_nav.html

PAGE_SIZE = 50


def done_messages() -> dict[str, str]:
    return {
        "created": _("The form was saved as a draft."),
        "signed": _("The statement was signed; this version can no longer change."),
        "signed-off": _("The case summary was signed off and locked."),
        "added": _("Added to the schedule."),
        "decided": _("The decision was recorded."),
        "shared": _("The share was created."),
        "revoked": _("The share was revoked: the partner can no longer open it."),
    }


def decision_labels() -> dict[str, str]:
    return {
        "D": _("D: disclose to the defence"),
        "CND": _("CND: clearly not disclosable"),
        "I": _("I: defence may inspect"),
        "PII": _("PII: public interest immunity application"),
    }


def _vault(request: Request):
    return request.app.state.vault


def _page(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _paged(rows: list, page: int) -> tuple[list, bool]:
    start = (page - 1) * PAGE_SIZE
    return rows[start : start + PAGE_SIZE], len(rows) > start + PAGE_SIZE


def _is_partner(caller) -> bool:
    return bool(caller.principal.roles & EXTERNAL_ROLES)


def _back(path: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}{anchor}", status_code=303)


def _text(form, name: str) -> str:
    return str(form.get(name, "") or "").strip()


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("%(what)s is a date such as 2026-11-21") % {"what": what}) from None


# --- forms ----------------------------------------------------------------------------------


@router.get("/cases/{case}/casefile", name="casefile")
def records_page(request: Request, case: str, caller: Viewer):
    return _records_page(request, caller, case)


def _records_page(
    request: Request, caller, case: str, *, error: str | None = None, status: int = 200, form=None
):
    vault = _vault(request)
    principal = caller.principal
    case_view = vault.evidence.get_case(principal, case)
    records = vault.casefile.records.list(principal, case_view.id)
    exhibits = []
    if not _is_partner(caller):
        exhibits = vault.evidence.list_exhibits(principal, case_view.id)[1]
    page = _page(request)
    shown, more = _paged(list(reversed(records)), page)
    return render(
        request,
        "casefile/records.html",
        {
            "case": case_view,
            "records": shown,
            "page": page,
            "more": more,
            "form_titles": {code: t.title for code, t in FORM_TYPES.items()},
            "exhibits": exhibits[:200],
            "partner": _is_partner(caller),
            "supervisor": Role.SUPERVISOR in principal.roles,
            "today": vault.now().date().isoformat(),
            "done": done_messages().get(request.query_params.get("done", "")),
            "error": error,
            "form": form or {},
        },
        status=status,
    )


@router.post("/cases/{case}/casefile/statements", name="casefile_statement")
async def create_statement(request: Request, case: str, caller: Viewer):
    """A witness statement (MG11) as a draft, typed on the phone."""
    form = await request.form()
    age = _text(form, "age")
    data: dict[str, Any] = {
        "statement_of": _text(form, "statement_of"),
        "age": "over 18" if age in ("", "over 18") else age,
        "statement_date": _text(form, "statement_date"),
        "body": str(form.get("body", "") or "").replace("\r\n", "\n").strip(),
        "exhibits_produced": [str(r) for r in form.getlist("exhibits_produced")],
    }
    if _text(form, "occupation"):
        data["occupation"] = _text(form, "occupation")
    if isinstance(data["age"], str) and data["age"].isdigit():
        data["age"] = int(data["age"])
    vault = _vault(request)
    try:
        created = await run_in_threadpool(vault.casefile.records.create, caller.principal, case, "MG11", data)
    except InvalidInput as exc:
        return _records_page(
            request, caller, case, error=str(exc), status=exc.status, form={k: form.get(k) for k in form}
        )
    return _back(f"/cases/{created.case_id}/casefile", "created", f"#record-{created.id}")


@router.post("/cases/{case}/casefile/records/{record_id}/signature", name="casefile_sign")
async def sign(request: Request, case: str, record_id: str, caller: Viewer):
    form = await request.form()
    vault = _vault(request)
    try:
        await run_in_threadpool(
            lambda: vault.casefile.records.sign(
                caller.principal, record_id, signed_by=_text(form, "signed_by")
            )
        )
    except (InvalidInput, Conflict) as exc:
        return _records_page(request, caller, case, error=str(exc), status=exc.status)
    return _back(f"/cases/{case}/casefile", "signed", f"#record-{record_id}")


@router.post("/cases/{case}/casefile/records/{record_id}/sign-off", name="casefile_sign_off")
async def sign_off(request: Request, case: str, record_id: str, caller: Viewer):
    form = await request.form()
    vault = _vault(request)
    try:
        await run_in_threadpool(
            lambda: vault.casefile.records.sign_off(
                caller.principal, record_id, note=_text(form, "note") or None
            )
        )
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        return _records_page(request, caller, case, error=str(exc), status=exc.status)
    return _back(f"/cases/{case}/casefile", "signed-off", f"#record-{record_id}")


@router.get("/cases/{case}/casefile/forms/{key}.pdf", name="casefile_pdf")
async def form_pdf(request: Request, case: str, key: str, caller: Viewer):
    """A record (by id) or a generated form (MG12, MG6C, MG6D) as its PDF; logged by the service."""
    vault = _vault(request)
    stem, pdf, _data = await run_in_threadpool(vault.casefile.render, caller.principal, case, key)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{stem}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/cases/{case}/casefile/bundles", name="casefile_bundle")
async def bundle(request: Request, case: str, caller: Viewer):
    """An open bundle (BagIt zip) for the CPS, the defence or the court, made and logged by the
    bundle service; the scratch copy is removed once sent."""
    form = await request.form()
    vault = _vault(request)
    recipient = _text(form, "recipient")
    vault.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bundle-", dir=vault.settings.tmp_dir))
    out = scratch / f"bundle-{recipient if recipient.isalpha() else 'x'}.zip"
    try:
        await run_in_threadpool(vault.casefile.bundles.export, caller.principal, case, recipient, out)
    except InvalidInput as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        return _records_page(request, caller, case, error=str(exc), status=exc.status)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type="application/zip",
        filename=out.name,
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )


# --- unused material ------------------------------------------------------------------------


@router.get("/cases/{case}/casefile/unused", name="casefile_unused")
def unused_page(request: Request, case: str, caller: Viewer):
    return _unused_page(request, caller, case)


def _unused_page(request: Request, caller, case: str, *, error: str | None = None, status: int = 200):
    vault = _vault(request)
    principal = caller.principal
    case_view = vault.evidence.get_case(principal, case)
    items = vault.casefile.disclosure.schedule(principal, case_view.id)
    exhibits = []
    partner = _is_partner(caller)
    if not partner:
        exhibits = vault.evidence.list_exhibits(principal, case_view.id)[1]
    page = _page(request)
    shown, more = _paged(items, page)
    on_schedule = {i.exhibit_id for i in items if i.exhibit_id and not i.sha256}
    return render(
        request,
        "casefile/unused.html",
        {
            "case": case_view,
            "items": shown,
            "page": page,
            "more": more,
            "partner": partner,
            "prosecutor": Role.PROSECUTOR in principal.roles,
            "decisions": DECISIONS,
            "decision_labels": decision_labels(),
            "decision_words": DECISION_WORDS,
            "exhibits": [e for e in exhibits if e.id not in on_schedule][:200],
            "done": done_messages().get(request.query_params.get("done", "")),
            "error": error,
        },
        status=status,
    )


@router.post("/cases/{case}/casefile/unused", name="casefile_unused_add")
async def add_unused(request: Request, case: str, caller: Viewer):
    """Exhibits onto the MG6C (descriptions filled in from their metadata), or one item by hand."""
    form = await request.form()
    vault = _vault(request)
    refs = [str(r) for r in form.getlist("exhibit")]
    schedule = _text(form, "schedule") or "MG6C"

    def add():
        if refs:
            return vault.casefile.disclosure.add_exhibits(caller.principal, case, refs, schedule=schedule)
        description = _text(form, "description")
        if not description:
            raise InvalidInput(_("choose exhibits, or describe the item"))
        return vault.casefile.disclosure.add_item(
            caller.principal,
            case,
            schedule=schedule,
            description=description,
            location=_text(form, "location") or None,
            sensitivity_reason=_text(form, "sensitivity") or None,
        )

    try:
        await run_in_threadpool(add)
    except (InvalidInput, Conflict) as exc:
        return _unused_page(request, caller, case, error=str(exc), status=exc.status)
    return _back(f"/cases/{case}/casefile/unused", "added")


@router.post("/cases/{case}/casefile/unused/{item_no}/decisions", name="casefile_decide")
async def decide(request: Request, case: str, item_no: int, caller: Viewer):
    form = await request.form()
    vault = _vault(request)
    try:
        await run_in_threadpool(
            vault.casefile.disclosure.decide,
            caller.principal,
            case,
            item_no,
            _text(form, "decision"),
            _text(form, "reason") or None,
        )
    except (InvalidInput, Conflict) as exc:
        return _unused_page(request, caller, case, error=str(exc), status=exc.status)
    return _back(f"/cases/{case}/casefile/unused", "decided", f"#unused-{item_no}")


# --- shares ---------------------------------------------------------------------------------


@router.get("/cases/{case}/casefile/shares", name="casefile_shares")
def shares_page(request: Request, case: str, caller: Viewer):
    return _shares_page(request, caller, case)


def _shares_page(
    request: Request, caller, case: str, *, error: str | None = None, status: int = 200, form=None
):
    vault = _vault(request)
    principal = caller.principal
    case_view = vault.evidence.get_case(principal, case)
    shares = vault.casefile.sharing.list(principal, case_view.id)
    exhibits = vault.evidence.list_exhibits(principal, case_view.id)[1]
    records = [r for r in vault.casefile.records.list(principal, case_view.id)]
    page = _page(request)
    shown, more = _paged(list(reversed(shares)), page)
    return render(
        request,
        "casefile/shares.html",
        {
            "case": case_view,
            "shares": shown,
            "page": page,
            "more": more,
            "exhibits": exhibits[:200],
            "records": records[:200],
            "generated": GENERATED_FORMS,
            "max_days": MAX_SHARE_DAYS,
            "days_left": lambda share: max(
                0, math.ceil((share.expires_at - vault.now()).total_seconds() / 86400)
            ),
            "done": done_messages().get(request.query_params.get("done", "")),
            "error": error,
            "form": form or {},
        },
        status=status,
    )


@router.post("/cases/{case}/casefile/shares", name="casefile_share")
async def create_share(request: Request, case: str, caller: Viewer):
    form = await request.form()
    vault = _vault(request)

    def create():
        try:
            days = int(_text(form, "days") or "30")
        except ValueError:
            raise InvalidInput(_("say for how many days, e.g. 30")) from None
        return vault.casefile.sharing.create(
            caller.principal,
            case,
            _text(form, "partner"),
            exhibits=[str(v) for v in form.getlist("exhibit")],
            records=[str(v) for v in form.getlist("record")],
            forms=[str(v) for v in form.getlist("form")],
            expires_in=timedelta(days=days),
            allow_download=bool(form.get("download")),
        )

    try:
        share = await run_in_threadpool(create)
    except InvalidInput as exc:
        return _shares_page(
            request, caller, case, error=str(exc), status=exc.status, form={k: form.get(k) for k in form}
        )
    return _back(f"/cases/{case}/casefile/shares", "shared", f"#share-{share.id}")


@router.post("/cases/{case}/casefile/shares/{share_id}/revocation", name="casefile_revoke")
async def revoke_share(request: Request, case: str, share_id: str, caller: Viewer):
    form = await request.form()
    vault = _vault(request)
    try:
        await run_in_threadpool(
            vault.casefile.sharing.revoke, caller.principal, share_id, _text(form, "reason") or None
        )
    except (InvalidInput, Conflict) as exc:
        return _shares_page(request, caller, case, error=str(exc), status=exc.status)
    return _back(f"/cases/{case}/casefile/shares", "revoked", f"#share-{share_id}")
