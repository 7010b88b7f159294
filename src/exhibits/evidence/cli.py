"""Evidence commands: cases, add, attach, ls, media."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from exhibits.cli.common import byte_progress, console, emit_json, human_size, printable, state
from exhibits.clock import parse_iso, uk_local
from exhibits.errors import InvalidInput

case_app = typer.Typer(help="Cases: create, list, show, assign people.", no_args_is_help=True)


@case_app.command("create")
def case_create(
    ctx: typer.Context,
    crime_ref: Annotated[str, typer.Argument(help="The force's crime reference or incident number.")],
    title: Annotated[str, typer.Option(help="Short title, e.g. 'Burglary, 14 High Street'.")],
    urn: Annotated[str | None, typer.Option(help="11-character CPS/court URN, if known.")] = None,
    classification: Annotated[str, typer.Option(help="OFFICIAL or OFFICIAL-SENSITIVE.")] = "OFFICIAL",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open a case; you become its officer in charge."""
    cli = state(ctx)
    case = cli.vault().evidence.create_case(
        cli.principal(), crime_ref, title, urn=urn, classification=classification
    )
    if as_json:
        emit_json(case.as_dict())
    else:
        console.print(f"Created case {printable(case.crime_ref)}: {printable(case.title)}", markup=False)


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only cases with this status.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Cases you are assigned to."""
    cli = state(ctx)
    cases = cli.vault().evidence.list_cases(cli.principal(), status=status)
    if as_json:
        emit_json([c.as_dict() for c in cases])
        return
    table = Table("reference", "URN", "title", "status", "classification", "opened")
    for case in cases:
        table.add_row(
            printable(case.crime_ref), case.urn or "", printable(case.title), case.status,
            case.classification, uk_local(case.created_at),
        )  # fmt: skip
    console.print(table)


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Crime reference, URN or case id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One case's details."""
    cli = state(ctx)
    view = cli.vault().evidence.get_case(cli.principal(), case)
    if as_json:
        emit_json(view.as_dict())
        return
    for key, value in view.as_dict().items():
        console.print(f"{key:>15}: {printable(str(value) if value is not None else '')}", markup=False)


@case_app.command("assign")
def case_assign(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Crime reference, URN or case id.")],
    collar: Annotated[str, typer.Argument(help="The person's collar number.")],
    role: Annotated[str, typer.Option(help="officer_in_charge, disclosure_officer, investigator or viewer.")],
) -> None:
    """Give a person a part in a case."""
    cli = state(ctx)
    cli.vault().users.assign(cli.principal(), case, collar, role)
    console.print(f"{collar.upper()} is now {role} on {case}", markup=False)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise InvalidInput(f"cannot read time {text!r}: use ISO 8601, e.g. 2026-11-21T04:13:00Z") from exc


def add(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    case: Annotated[str | None, typer.Option(help="Case to add them to as exhibits.")] = None,
    unassigned: Annotated[
        bool, typer.Option(help="Footage before any case exists (dock or vendor export).")
    ] = False,
    producer: Annotated[
        str | None, typer.Option(help="Who produces the exhibits: 'PC 1234 Jane Smith'.")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="bwv, cctv, phone, public, interview, document or other.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="Description for the exhibit label.")] = None,
    captured_at: Annotated[str | None, typer.Option(help="Capture time, ISO 8601 with zone.")] = None,
    clock_offset: Annotated[
        str | None, typer.Option(help="Source clock minus true time, noted at seizure (+90s, -2m).")
    ] = None,
    captured_by: Annotated[str | None, typer.Option(help="Who captured or seized it.")] = None,
    device: Annotated[str | None, typer.Option(help="Device id, e.g. BWV-00731.")] = None,
    incident: Annotated[str | None, typer.Option(help="Incident number.")] = None,
    officer: Annotated[str | None, typer.Option(help="Officer the footage belongs to.")] = None,
    classification: Annotated[str | None, typer.Option(help="OFFICIAL or OFFICIAL-SENSITIVE.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ingest files: hashed, stored content-addressed and logged, as exhibits or unassigned media."""
    if bool(case) == unassigned:
        raise InvalidInput("give either --case or --unassigned")
    cli = state(ctx)
    # A large first file is read, hashed and written to the vault's tmp area while the rest
    # of the application loads (the imports below); the ingest adopts that copy only if the
    # file is unchanged, and reads the file itself otherwise (exhibits.storage.staging).
    from exhibits.storage.staging import stage_first_file

    with stage_first_file(paths, cli.vault_dir()) or nullcontext() as staged:
        from exhibits.evidence.domain import parse_offset
        from exhibits.evidence.service import IngestRequest

        request = IngestRequest(
            case=case,
            producer=producer,
            source=source or ("bwv" if unassigned else None),
            description=description,
            classification=classification,
            captured_at=_parse_time(captured_at),
            clock_offset=parse_offset(clock_offset),
            captured_by=captured_by,
            device_id=device,
            incident_ref=incident,
            officer=officer,
        )
        with byte_progress(not as_json) as bars:
            outcomes = cli.vault().evidence.ingest_paths(
                cli.principal(), paths, request, progress=lambda p, size: bars(p.name, size), staged=staged
            )
    if as_json:
        emit_json([o.as_dict() for o in outcomes])
        return
    table = Table("ref" if case else "media id", "SHA-256", "size", "type", "note")
    for outcome in outcomes:
        table.add_row(
            outcome.ref or outcome.media_id[:12],
            outcome.sha256,
            human_size(outcome.size),
            outcome.mime_type,
            "content already in vault" if outcome.duplicate_content else "",
        )
    console.print(table)


def attach(
    ctx: typer.Context,
    media: Annotated[str, typer.Argument(help="Media id or SHA-256 (a prefix of 6+ hex digits).")],
    case: Annotated[str, typer.Option(help="Case to attach it to.")],
    producer: Annotated[str, typer.Option(help="Who produces the exhibit: 'PC 1234 Jane Smith'.")],
    description: Annotated[str | None, typer.Option(help="Description for the exhibit label.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make unassigned media an exhibit of a case."""
    cli = state(ctx)
    view = cli.vault().evidence.attach(cli.principal(), media, case, producer, description=description)
    if as_json:
        emit_json(view.as_dict())
    else:
        console.print(f"Attached as {view.ref} (SHA-256 {view.sha256})", markup=False)


def ls(
    ctx: typer.Context,
    case: Annotated[str, typer.Option(help="Crime reference, URN or case id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The exhibits of a case: references, sizes, SHA-256 and types."""
    cli = state(ctx)
    case_view, exhibits = cli.vault().evidence.list_exhibits(cli.principal(), case)
    if as_json:
        emit_json({"case": case_view.as_dict(), "exhibits": [e.as_dict() for e in exhibits]})
        return
    table = Table(
        "ref", "description", "source", "type", "size", "SHA-256", "captured (UK time)",
        title=f"{printable(case_view.crime_ref)} - {printable(case_view.title)}",
    )  # fmt: skip
    for exhibit in exhibits:
        table.add_row(
            exhibit.ref,
            printable(exhibit.description or exhibit.original_name or ""),
            exhibit.source,
            exhibit.mime_type,
            human_size(exhibit.size),
            exhibit.sha256,
            uk_local(exhibit.captured_at),
        )
    console.print(table)


def media(
    ctx: typer.Context,
    all_media: Annotated[
        bool, typer.Option("--all", help="Include media already attached to cases.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Media ingested before any case (and still unassigned)."""
    cli = state(ctx)
    items = cli.vault().evidence.list_media(cli.principal(), unassigned_only=not all_media)
    if as_json:
        emit_json([m.as_dict() for m in items])
        return
    table = Table("media id", "file", "device", "incident", "size", "SHA-256", "review after")
    for item in items:
        table.add_row(
            item.id[:12], printable(item.original_name), item.device_id or "", item.incident_ref or "",
            human_size(item.size), item.sha256[:16], uk_local(item.review_after),
        )  # fmt: skip
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")
    app.command()(add)
    app.command()(attach)
    app.command()(ls)
    app.command()(media)
