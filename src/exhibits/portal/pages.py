"""The portal's pages: the public ones (no account: the token in the address opens one
submission) and the officers' (asking for evidence, the triage queue, accepting or rejecting).

Public pages are plain HTML forms; files go up with tus-js-client to the API's token routes.
The receipt is shown once, in the answer to the declaration, because the link stops working
the moment the submission is made. Every page calls the portal service, never the database.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from exhibits.errors import ExhibitsError, InvalidInput, NotFound
from exhibits.portal import forms
from exhibits.portal.plugin import portal
from exhibits.webui import i18n
from exhibits.webui.i18n import _
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _limit(request: Request, *, starting: bool = False, token: str | None = None) -> None:
    service = portal(request.app.state.vault)
    peer = request.client.host if request.client else None
    address = service.client_address(peer, request.headers.get("x-forwarded-for"))
    service.limit_address(address, starting=starting)
    if token:
        service.limit_link(token)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _with_language(request: Request, response: Response) -> Response:
    """Keep the visitor's choice of language (they have no account to remember it)."""
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def label(question: forms.Question) -> str:
    """Force-written Welsh if given, else the built-in label through the catalogue."""
    if i18n.current_language() == "cy" and question.label_cy:
        return question.label_cy
    return _(question.label)


# --- the public -------------------------------------------------------------------------------


@router.get("/portal", name="portal_home")
async def home(request: Request) -> Response:
    return _with_language(request, render(request, "portal/start.html", {"error": None}))


@router.post("/portal/code", name="portal_code")
async def code(request: Request) -> Response:
    _limit(request, starting=True)
    value = str((await request.form()).get("code", ""))
    try:
        token = await run_in_threadpool(portal(request.app.state.vault).redeem_code, value)
    except (NotFound, InvalidInput):
        error = _("That code is not known, has expired or has already been used. Check it and try again.")
        return render(request, "portal/start.html", {"error": error}, status=404)
    return _see_other(f"/portal/s/{token}")


@router.get("/portal/p/{slug}", name="portal_page")
async def standing_page(request: Request, slug: str) -> Response:
    _limit(request)
    page = await run_in_threadpool(portal(request.app.state.vault).page, slug)
    form = portal(request.app.state.vault).form(page["form"])
    return _with_language(request, render(request, "portal/page.html", {"page": page, "form": form}))


@router.post("/portal/p/{slug}", name="portal_page_start")
async def start(request: Request, slug: str) -> Response:
    _limit(request, starting=True)
    _, token = await run_in_threadpool(portal(request.app.state.vault).start_from_page, slug)
    return _see_other(f"/portal/s/{token}")


async def _submission_page(
    request: Request,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    service = portal(request.app.state.vault)
    view = await run_in_threadpool(service.open, token)
    form = service.form(view.form)
    context = {
        "token": token,
        "view": view,
        "form": form,
        "label": label,
        "values": values or {**view.submitter, **view.answers},
        "errors": errors or {},
        "declaration": forms.DECLARATION,
        "max_bytes": service.settings.max_file_bytes,
        "complete": [f for f in view.files if f.status == "complete"],
        "path": f"/portal/s/{token}",  # the language switch returns here, not to a form's address
    }
    return _with_language(request, render(request, "portal/submission.html", context, status=status))


@router.get("/portal/s/{token}", name="portal_submission")
async def submission(request: Request, token: str) -> Response:
    _limit(request, token=token)
    try:
        return await _submission_page(request, token)
    except NotFound:
        return _with_language(request, render(request, "portal/gone.html", status=404))


@router.post("/portal/s/{token}/details", name="portal_details")
async def details(request: Request, token: str) -> Response:
    _limit(request, token=token)
    service = portal(request.app.state.vault)
    data = {k: str(v) for k, v in (await request.form()).items()}
    submitter = {k: data.get(k, "") for k in ("name", "email", "phone", "address", "postcode")}
    view = await run_in_threadpool(service.open, token)
    answers = {q.name: data.get(q.name, "") for q in service.form(view.form).questions}
    try:
        await run_in_threadpool(service.save, token, submitter, answers)
    except InvalidInput as exc:
        return await _submission_page(
            request, token, errors=_field_errors(exc.message), values=data, status=422
        )
    return _see_other(f"/portal/s/{token}#files")


def _field_errors(message: str) -> dict[str, str]:
    """Map the service's 'name: problem; other: problem' onto fields, translated."""
    text = message.split(": ", 1)[1] if message.startswith("the answers need attention") else message
    errors: dict[str, str] = {}
    for part in text.split("; "):
        name, _sep, problem = part.partition(": ")
        errors[name.strip()] = _(problem.strip() or part)
    return errors


@router.post("/portal/s/{token}/submit", name="portal_submit")
async def submit(request: Request, token: str) -> Response:
    _limit(request, token=token)
    data = await request.form()
    declaration = {
        "true_statement": data.get("true_statement") == "yes",
        "over_18": data.get("over_18") == "yes",
        "signature": str(data.get("signature", "")),
        "willing_to_attend_court": {"yes": True, "no": False}.get(str(data.get("court", ""))),
    }
    try:
        receipt = await run_in_threadpool(portal(request.app.state.vault).submit, token, declaration)
    except InvalidInput as exc:
        return await _submission_page(request, token, errors={"declaration": _(exc.message)}, status=422)
    except ExhibitsError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _submission_page(request, token, errors={"declaration": _(exc.message)}, status=409)
    return render(request, "portal/receipt.html", {"receipt": receipt, "path": "/portal"})


# --- officers ---------------------------------------------------------------------------------


@router.get("/portal/triage", name="portal_triage")
async def triage(request: Request, caller: Viewer, status: str = "submitted") -> Response:
    vault = request.app.state.vault
    views = await run_in_threadpool(lambda: portal(vault).queue(caller.principal, status=status))
    return render(request, "portal/triage.html", {"items": views, "status": status, "now": vault.now()})


@router.get("/portal/requests/new", name="portal_request_new")
async def new_request(request: Request, caller: Viewer, case: str = "") -> Response:
    forms_available = sorted(portal(request.app.state.vault).settings.forms)
    return render(request, "portal/request.html", {"case": case, "forms": forms_available, "made": None})


@router.post("/portal/requests", name="portal_request_create")
async def create_request(request: Request, caller: Viewer) -> Response:
    service = portal(request.app.state.vault)
    data = await request.form()
    case, appeal, form = (
        str(data.get("case", "")),
        str(data.get("appeal", "")),
        str(data.get("form", "dashcam")),
    )
    try:
        view, token, short = await run_in_threadpool(
            lambda: service.create_request(
                caller.principal, form=form, case=case or None, appeal=appeal or None
            )
        )
    except InvalidInput as exc:
        context = {"case": case, "forms": sorted(service.settings.forms), "made": None, "error": exc.message}
        return render(request, "portal/request.html", context, status=422)
    link = str(request.base_url).rstrip("/") + f"/portal/s/{token}"
    made = {"reference": view.reference, "link": link, "code": short, "expires_at": view.expires_at}
    return render(request, "portal/request.html", {"case": case, "forms": [], "made": made})


@router.get("/portal/triage/{submission_id}", name="portal_triage_item")
async def triage_item(request: Request, submission_id: str, caller: Viewer) -> Response:
    vault = request.app.state.vault
    view = await run_in_threadpool(portal(vault).get, caller.principal, submission_id)
    form = portal(vault).form(view.form)
    return render(
        request, "portal/decide.html", {"view": view, "form": form, "label": label, "now": vault.now()}
    )


@router.post("/portal/triage/{submission_id}/accept", name="portal_accept")
async def accept(request: Request, submission_id: str, caller: Viewer) -> Response:
    vault = request.app.state.vault
    case = str((await request.form()).get("case", "")).strip() or None
    view = await run_in_threadpool(portal(vault).accept, caller.principal, submission_id, case)
    return _see_other(f"/portal/triage/{view.id}")


@router.post("/portal/triage/{submission_id}/reject", name="portal_reject")
async def reject(request: Request, submission_id: str, caller: Viewer) -> Response:
    reason = str((await request.form()).get("reason", ""))
    await run_in_threadpool(portal(request.app.state.vault).reject, caller.principal, submission_id, reason)
    return _see_other("/portal/triage")
