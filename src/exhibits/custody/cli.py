"""Custody commands: an exhibit's or a case's trail, and proofs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from exhibits.cli.common import console, emit_json, printable, state
from exhibits.clock import parse_iso, uk_local


def _summary(leaf: dict) -> str:
    details = leaf.get("details") or {}
    parts = []
    for key in (
        "ref",
        "original_name",
        "size",
        "mime_type",
        "device_id",
        "title",
        "role",
        "producer",
        "processor",
        "version",
        "parent_ref",
        "member_path",
        "new_ref",
        "start",
        "end",
    ):
        value = details.get(key)
        if value not in (None, ""):
            parts.append(f"{key}={value}")
    if leaf.get("justification"):
        parts.append(f"why: {leaf['justification']}")
    return printable("; ".join(str(p) for p in parts))


def log(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(help="Exhibit reference, e.g. JS/1 (omit for the whole case).")
    ] = None,
    case: Annotated[str, typer.Option(help="Crime reference, URN or case id.")] = ...,  # type: ignore[assignment]
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The custody trail of one exhibit, or the continuity trail of a case."""
    cli = state(ctx)
    custody = cli.vault().custody
    if ref:
        title, events = custody.exhibit_trail(cli.principal(), case, ref)
    else:
        title, events = case, custody.case_trail(cli.principal(), case)
    if as_json:
        emit_json([e.as_dict() for e in events])
        return
    table = Table(
        "#",
        "when (UK time)",
        "action",
        "who",
        "SHA-256",
        "details",
        title=f"Custody of {printable(title)}",
    )
    for event in events:
        table.add_row(
            str(event.seq),
            uk_local(parse_iso(event.at)),
            event.action,
            printable(event.actor_name),
            (event.leaf.get("sha256") or "")[:16],
            _summary(event.leaf),
        )
    console.print(table)


def proof(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="Event number.")],
) -> None:
    """Inclusion proof of one event in the latest signed checkpoint (JSON)."""
    from exhibits.access.permissions import Permission

    cli = state(ctx)
    cli.principal().require(Permission.VAULT_VERIFY)
    emit_json(cli.vault().custody.inclusion(seq))


def register(app: typer.Typer) -> None:
    app.command()(log)
    app.command()(proof)
