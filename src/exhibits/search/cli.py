"""``exhibits search``, ``search-optimise``, ``links`` and ``link confirm|reject``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from exhibits.cli.common import console, emit_json, printable, state
from exhibits.clock import parse_iso
from exhibits.errors import InvalidInput

link_app = typer.Typer(help="Confirm or reject a suggested link between two cases.", no_args_is_help=True)


def _time(value: str | None, name: str):
    if not value:
        return None
    try:
        return parse_iso(value if "T" in value else f"{value}T00:00:00Z")
    except ValueError:
        raise InvalidInput(f"{name}: use a date (2026-11-21) or ISO 8601 time") from None


def _where(hit) -> str:
    locator = hit.locator
    if "start" in locator:
        minutes, seconds = divmod(float(locator["start"]), 60)
        return f"{int(minutes):d}:{seconds:05.2f}"
    if "page" in locator:
        return f"p.{locator['page']}" + (f" box {locator['box']}" if locator.get("box") else "")
    return ""


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words, a registration, a postcode, a phone number...")],
    case: Annotated[str | None, typer.Option(help="Only this case.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="video, audio, image or document.")] = None,
    layer: Annotated[str | None, typer.Option(help="transcript, ocr, document or metadata.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Captured on or after (2026-11-01).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Captured before (2026-11-30).")] = None,
    producer: Annotated[
        str | None, typer.Option(help="Producer's name or collar number contains this.")
    ] = None,
    entity: Annotated[
        str | None, typer.Option(help="Only where an entity of this type was found (vrm...).")
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid, keyword or semantic.")] = "hybrid",
    limit: Annotated[int, typer.Option(help="How many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search everything you may see: case titles, exhibit descriptions, transcripts, OCR, documents."""
    from exhibits.search.service import Filters

    cli = state(ctx)
    filters = Filters(
        case=case,
        type=type,
        layer=layer,
        date_from=_time(date_from, "--from"),
        date_to=_time(date_to, "--to"),
        producer=producer,
        entity_type=entity,
    )
    results = cli.vault().search.search(cli.principal(), query, filters, mode=mode, limit=limit)
    if as_json:
        emit_json(results.as_dict())
        return
    more = "+" if results.total_is_capped else ""
    table = Table(
        "case",
        "exhibit",
        "where",
        "found in",
        "text",
        "by",
        title=f"{results.total}{more} keyword match(es) for {printable(query)!r}",
    )
    for hit in results.hits:
        table.add_row(
            printable(hit.case_ref),
            hit.exhibit_ref or "",
            _where(hit),
            hit.layer,
            printable(hit.text[:160]),
            "+".join(hit.matched_by),
        )
    console.print(table)


def links(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Crime reference, URN or case id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Other cases you may see where this case's people, vehicles, numbers or footage also appear."""
    cli = state(ctx)
    this, found = cli.vault().search.links.links(cli.principal(), case)
    if as_json:
        emit_json({"case": this.crime_ref, "links": [link.as_dict() for link in found]})
        return
    if not found:
        console.print(f"No links from {printable(this.crime_ref)} to other cases you may see.", markup=False)
        return
    table = Table(
        "case",
        "title",
        "score",
        "decision",
        "evidence",
        title=f"Also appears in ({printable(this.crime_ref)})",
    )
    for link in found:
        evidence = "; ".join(
            f"{e.type} {printable(e.value)}"
            + (f"~{printable(e.other_value)}" if e.other_value != e.value else "")
            + f" ({e.here['exhibit_ref']} / {e.there['exhibit_ref']}, {e.score:.2f})"
            + (f" [{e.decision}]" if e.decision else "")
            for e in link.evidence[:6]
        )
        table.add_row(
            printable(link.case_ref),
            printable(link.title),
            f"{link.score:.2f}",
            link.decision or "",
            evidence,
        )
    console.print(table)


def search_optimise(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Rebuild even when the lists are current.")] = False,
) -> None:
    """Build the search index's lists of frequent words (SQLite; the worker does it when idle)."""
    from exhibits.access.permissions import Permission

    cli = state(ctx)
    cli.principal().require(Permission.VAULT_ADMIN)
    with console.status("Building champion lists of frequent words..."):
        built = cli.vault().search.optimise(force=force)
    if built is None:
        console.print("Nothing to do: the lists are current (or the index is on PostgreSQL).")
        return
    console.print(
        f"Champion lists built for {built['frequent_tokens']:,} frequent words over {built['docs']:,} "
        f"searchable pieces ({built['tokenised']:,} tokenised first)."
    )


def _decide(decision: str):
    def command(
        ctx: typer.Context,
        case: Annotated[str, typer.Argument(help="Your case.")],
        other: Annotated[str, typer.Argument(help="The linked case.")],
        type: Annotated[str, typer.Option("--type", help="vrm, phone, email, person, content...")],
        value: Annotated[str, typer.Option(help="The value in your case.")],
        other_value: Annotated[
            str | None, typer.Option(help="The value in the other case, if different.")
        ] = None,
        note: Annotated[str | None, typer.Option(help="Why.")] = None,
    ) -> None:
        cli = state(ctx)
        cli.vault().search.links.decide(
            cli.principal(),
            case,
            other,
            type=type,
            value=value,
            other_value=other_value,
            decision=decision,
            note=note,
        )
        console.print(
            f"Link {decision}: {printable(case)} - {printable(other)} ({type} {printable(value)})",
            markup=False,
        )

    command.__doc__ = f"Record that a suggested link is {decision}."
    return command


link_app.command("confirm")(_decide("confirmed"))
link_app.command("reject")(_decide("rejected"))


def register(app: typer.Typer) -> None:
    app.command()(search)
    app.command()(links)
    app.command("search-optimise")(search_optimise)
    app.add_typer(link_app, name="link")
