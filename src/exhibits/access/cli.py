"""Account commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from exhibits.cli.common import console, emit_json, err_console, printable, state
from exhibits.clock import parse_iso, uk_local
from exhibits.errors import InvalidInput

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Full name.")],
    collar: Annotated[str, typer.Option(help="Collar or shoulder number (unique in the force).")],
    role: Annotated[list[str], typer.Option(help="Force role; repeatable.")],
    password: Annotated[
        str | None,
        typer.Option(envvar="EXHIBITS_NEW_USER_PASSWORD", help="Initial password (else prompted)."),
    ] = None,
    organisation: Annotated[
        str | None, typer.Option(help="For external partners: their organisation.")
    ] = None,
    case: Annotated[str | None, typer.Option(help="Also assign to this case.")] = None,
    as_role: Annotated[
        str | None, typer.Option("--as-role", help="Part in that case, e.g. investigator.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an account (administrators)."""
    cli = state(ctx)
    if password is None and os.isatty(0):
        password = typer.prompt("Initial password", hide_input=True, confirmation_prompt=True)
    if bool(case) != bool(as_role):
        raise InvalidInput("--case and --as-role go together")
    vault = cli.vault()
    user = vault.users.create_user(
        cli.principal(),
        collar=collar,
        name=name,
        roles=role,
        password=password,
        organisation=organisation,
    )
    if case and as_role:
        vault.users.assign(cli.principal(), case, user.collar, as_role)
    if as_json:
        emit_json(user.as_dict())
    else:
        console.print(
            f"Created user {user.collar} ({printable(user.name)}): {', '.join(user.roles)}",
            markup=False,
        )


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """All accounts (administrators)."""
    cli = state(ctx)
    users = cli.vault().users.list_users(cli.principal())
    if as_json:
        emit_json([u.as_dict() for u in users])
        return
    table = Table("collar", "name", "roles", "organisation", "active")
    for user in users:
        table.add_row(
            user.collar, printable(user.name), ", ".join(user.roles), printable(user.organisation),
            "yes" if user.active else "no",
        )  # fmt: skip
    console.print(table)


@user_app.command("signout-everywhere")
def user_signout_everywhere(
    ctx: typer.Context, collar: Annotated[str, typer.Argument(help="Whose sessions and tokens.")]
) -> None:
    """Revoke every session, API token and content link of a person (a lost phone)."""
    cli = state(ctx)
    counts = cli.vault().access.signin.sign_out_everywhere(cli.principal(), collar)
    console.print(
        f"Signed {collar.upper()} out everywhere: {counts['sessions']} sessions, {counts['tokens']} tokens, "
        f"{counts['content_links']} content links revoked",
        markup=False,
    )


@user_app.command("reset-second-factor")
def user_reset_second_factor(ctx: typer.Context, collar: Annotated[str, typer.Argument()]) -> None:
    """Remove a lost authenticator; the person sets up a new one at their next sign-in."""
    cli = state(ctx)
    cli.vault().access.signin.totp_reset(cli.principal(), collar)
    console.print(f"Second factor of {collar.upper()} removed", markup=False)


token_app = typer.Typer(help="Personal API tokens for scripts and devices.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    collar: Annotated[str, typer.Argument(help="Whose token (yours, or anyone's for administrators).")],
    expires: Annotated[str, typer.Option(help="How long it is valid: 12h, 30d, 2w, 1y.")] = "30d",
    name: Annotated[str, typer.Option(help="What it is for, e.g. 'BWV dock 3'.")] = "api",
) -> None:
    """Create a token and print it (only it) on standard output: it is never shown again."""
    from exhibits.access.tokens import parse_expiry

    cli = state(ctx)
    _view, secret = cli.vault().access.tokens.create(
        cli.principal(), collar=collar, name=name, expires_in=parse_expiry(expires)
    )
    sys.stdout.write(secret + "\n")
    sys.stdout.flush()


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    collar: Annotated[str | None, typer.Argument(help="Whose tokens (default: yours).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Tokens (never the secrets), with expiry, last use and revocation."""
    cli = state(ctx)
    views = cli.vault().access.tokens.list(cli.principal(), collar)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    table = Table("id", "starts", "name", "created", "expires", "last used", "revoked")
    for v in views:
        table.add_row(
            v.id, v.hint + "...", printable(v.name), uk_local(v.created_at), uk_local(v.expires_at),
            uk_local(v.last_used_at), uk_local(v.revoked_at),
        )  # fmt: skip
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token: Annotated[
        str, typer.Argument(help="The token's id, or the first characters shown by 'token list'.")
    ],
) -> None:
    """Revoke a token at once."""
    cli = state(ctx)
    view = cli.vault().access.tokens.revoke(cli.principal(), token)
    console.print(f"Revoked token {view.id} ({printable(view.name)}) of {view.collar}", markup=False)


def audit(
    ctx: typer.Context,
    exhibit: Annotated[
        str | None, typer.Option(help="Exhibit id, or reference with --case (who saw it).")
    ] = None,
    case: Annotated[str | None, typer.Option(help="Crime reference, URN or case id.")] = None,
    user: Annotated[str | None, typer.Option(help="Collar number: everything this person did.")] = None,
    since: Annotated[str | None, typer.Option("--from", help="From this time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Up to this time (ISO 8601).")] = None,
    event_class: Annotated[
        str | None, typer.Option("--class", help="continuity, consultation or administration.")
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="Write every matching event (JSON lines, with the checkpoint) here.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many events on screen.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The custody log as auditors ask it: who saw an exhibit, what a person did, a period."""
    from exhibits.access.audit import AuditQuery
    from exhibits.evidence.queries import parse_when

    cli = state(ctx)
    vault = cli.vault()
    principal = cli.principal()
    case_id = exhibit_id = None
    if case or (exhibit and "/" in exhibit):
        if not case:
            raise InvalidInput("give --case with an exhibit reference such as JS/1")
        with vault.reading() as session:
            found = vault.evidence.find_case(session, principal, case)
            case_id = found.id
            if exhibit:
                exhibit_id = vault.evidence.find_exhibit(session, principal, found, exhibit).id
    elif exhibit:
        exhibit_id = exhibit.strip().lower()
    query = AuditQuery(
        exhibit_id=exhibit_id,
        case_id=case_id,
        collar=user,
        since=parse_when(since, "--from"),
        until=parse_when(until, "--to"),
        event_class=event_class,
    )
    if export is not None:
        count = 0
        with export.open("wb") as out:
            for line in vault.access.audit.export(principal, query):
                out.write(line)
                count += 1
        err_console.print(f"Wrote {count - 1} events and the signed checkpoint to {export}", markup=False)
        return
    events, more = vault.access.audit.search(principal, query, limit=limit)
    if as_json:
        emit_json(events)
        return
    table = Table("#", "when (UK time)", "class", "action", "who", "case", "exhibit", "why")
    for event in events:
        actor = event.get("actor") or {}
        table.add_row(
            str(event["seq"]), uk_local(parse_iso(event["at"])), event["class"], event["action"],
            printable(f"{actor.get('name', 'system')} ({actor.get('collar', '-')})"),
            (event.get("case") or "")[:8], (event.get("exhibit") or "")[:8],
            printable(event.get("justification")),
        )  # fmt: skip
    console.print(table)
    if more is not None:
        err_console.print(f"more events follow: narrow the query or raise --limit (shown {len(events)})")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command()(audit)
