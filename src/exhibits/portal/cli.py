"""``exhibits portal ...``: ask the public for evidence, open standing pages, see the queue,
and close submissions never sent (the portal also does this itself as new ones start)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from exhibits.cli.common import console, emit_json, printable, state

portal_app = typer.Typer(help="The public evidence portal.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _service(ctx: typer.Context):
    from exhibits.portal.plugin import portal

    return portal(state(ctx).vault())


@portal_app.command("request")
def request(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option(help="Crime reference, URN or id of the case.")] = None,
    appeal: Annotated[str | None, typer.Option(help="What is asked for, shown to the person.")] = None,
    form: Annotated[str, typer.Option(help="Question set: dashcam or general.")] = "dashcam",
    base_url: Annotated[
        str | None, typer.Option(help="The portal's public address (default: [api] public_url).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a single-use link and short code to send to one member of the public."""
    view, token, code = _service(ctx).create_request(
        state(ctx).principal(), form=form, case=case, appeal=appeal
    )
    if base_url is None:
        from exhibits.web.settings import api_settings

        base_url = api_settings(state(ctx).vault().settings).public_url or "http://127.0.0.1:8000"
    link = base_url.rstrip("/") + f"/portal/s/{token}"
    result = {
        "reference": view.reference,
        "link": link,
        "code": code,
        "expires_at": view.as_dict()["expires_at"],
    }
    emit_json(result) if as_json else console.print(f"{view.reference}\n{link}\ncode {code}", markup=False)


@portal_app.command("page")
def page(
    ctx: typer.Context,
    slug: str,
    form: Annotated[str, typer.Option(help="Question set: dashcam or general.")] = "dashcam",
    title: Annotated[str | None, typer.Option(help="The page's heading.")] = None,
    enable: Annotated[bool, typer.Option("--enable/--disable")] = True,
) -> None:
    """Open (or close) a standing public page at /portal/p/SLUG."""
    result = _service(ctx).set_page(state(ctx).principal(), slug, form=form, title=title, enabled=enable)
    console.print(f"/portal/p/{result['slug']}: {'open' if result['enabled'] else 'closed'}", markup=False)


@portal_app.command("queue")
def queue(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="open, submitted, accepted or rejected.")] = "submitted",
    as_json: JsonOpt = False,
) -> None:
    """Submissions awaiting a decision, the soonest Notice of Intended Prosecution deadline first."""
    service = _service(ctx)
    views = service.queue(state(ctx).principal(), status=status)
    now = service.vault.now()
    if as_json:
        emit_json([v.as_dict(now) for v in views])
        return
    for view in views:
        left = view.nip_left(now)
        nip = f"NIP in {left / 86400:.1f} days" if left is not None else "no NIP"
        console.print(
            f"{view.id}  {view.reference}  {printable(view.answers.get('vrm', ''))}  {nip}", markup=False
        )


@portal_app.command("expire")
def expire(
    ctx: typer.Context,
    every: Annotated[float, typer.Option(help="Repeat every this many seconds (0: once).")] = 0,
) -> None:
    """Close submissions not sent in time and remove their partial files."""
    service = _service(ctx)
    while True:
        closed = service.expire()
        if closed or not every:
            console.print(f"closed {closed} expired submission(s)", markup=False)
        if not every:
            return
        time.sleep(every)


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
