"""``exhibits transcript`` and ``exhibits entities``: read, export and correct analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from exhibits.cli.common import console, emit_json, printable, state
from exhibits.errors import InvalidInput

transcript_app = typer.Typer(help="Transcripts of recordings: show, export, correct.", no_args_is_help=True)
entities_app = typer.Typer(help="Entities found in an exhibit: show, correct.", no_args_is_help=True)

CaseOpt = Annotated[str, typer.Option("--case", help="Crime reference, URN or case id.")]
RefArg = Annotated[str, typer.Argument(help="Exhibit reference, e.g. JS/1.")]
RevisionOpt = Annotated[int | None, typer.Option(help="A given revision (0 = the machine's).")]


def _history(version) -> None:
    for item in version.history:
        reason = f" - {printable(item['reason'])}" if item["reason"] else ""
        console.print(
            f"  revision {item['revision']}: {printable(item['author'])}, {item['created_at']}{reason}",
            markup=False,
        )


@transcript_app.command("show")
def transcript_show(
    ctx: typer.Context,
    ref: RefArg,
    case: CaseOpt,
    revision: RevisionOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The transcript with times and confidence (the latest correction unless --revision)."""
    cli = state(ctx)
    version = cli.vault().analysis.get(cli.principal(), case, ref, "transcript", revision=revision)
    if as_json:
        emit_json(version.as_dict())
        return
    model = version.model or {}
    console.print(
        f"{version.exhibit_ref}: transcript revision {version.revision} "
        f"({'machine' if version.revision == 0 else printable(version.created_by_name)}; "
        f"model {model.get('name')} {model.get('sha256', '')[:12]})",
        markup=False,
    )
    table = Table("#", "start", "end", "conf.", "text")
    for segment in version.body["segments"]:
        table.add_row(
            str(segment["id"]),
            f"{segment['start']:.2f}",
            f"{segment['end']:.2f}",
            f"{segment.get('confidence', 1.0):.2f}",
            printable(segment["text"]) + (" *" if segment.get("corrected") else ""),
        )
    console.print(table)
    _history(version)


@transcript_app.command("export")
def transcript_export(
    ctx: typer.Context,
    ref: RefArg,
    case: CaseOpt,
    fmt: Annotated[str, typer.Option("--format", help="vtt, srt or txt.")] = "vtt",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    revision: RevisionOpt = None,
) -> None:
    """WebVTT, SRT or plain text of the transcript."""
    cli = state(ctx)
    rendered = cli.vault().analysis.export_transcript(cli.principal(), case, ref, fmt, revision=revision)
    if out:
        out.write_text(rendered, encoding="utf-8")
        console.print(f"wrote {out}", markup=False)
    else:
        typer.echo(rendered, nl=False)


def _edits(values: list[str]) -> dict[int, str]:
    edits = {}
    for value in values:
        number, sep, text = value.partition("=")
        if not sep or not number.strip().isdigit():
            raise InvalidInput(
                f"--edit takes SEGMENT=TEXT, e.g. --edit '3=I stopped the vehicle' (got {value!r})"
            )
        edits[int(number)] = text
    return edits


@transcript_app.command("correct")
def transcript_correct(
    ctx: typer.Context,
    ref: RefArg,
    case: CaseOpt,
    edit: Annotated[list[str], typer.Option(help="SEGMENT=corrected text (repeatable).")],
    reason: Annotated[str, typer.Option(help="Why the machine's text was wrong.")],
) -> None:
    """Correct segments: a new revision with your name; the machine's version is kept."""
    cli = state(ctx)
    version = cli.vault().analysis.correct_transcript(cli.principal(), case, ref, _edits(edit), reason)
    console.print(f"{version.exhibit_ref}: transcript revision {version.revision} recorded", markup=False)


@entities_app.command("show")
def entities_show(
    ctx: typer.Context,
    ref: RefArg,
    case: CaseOpt,
    revision: RevisionOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Entities found in an exhibit, with where each was found."""
    cli = state(ctx)
    version = cli.vault().analysis.get(cli.principal(), case, ref, "entities", revision=revision)
    if as_json:
        emit_json(version.as_dict())
        return
    table = Table(
        "#", "type", "value", "as found", "where", "method", title=f"{version.exhibit_ref} entities"
    )
    for number, entity in enumerate(version.body["entities"]):
        source = entity.get("source", {})
        if "start" in source:
            where = f"{source.get('layer')} {source['start']:.1f}s"
        elif "page" in source:
            where = f"{source.get('layer')} p.{source['page']}"
        else:
            where = str(source.get("layer", ""))
        table.add_row(
            str(number),
            entity["type"],
            printable(entity["value"]),
            printable(entity.get("text", "")),
            where,
            entity.get("method", ""),
        )
    console.print(table)
    _history(version)


@entities_app.command("correct")
def entities_correct(
    ctx: typer.Context,
    ref: RefArg,
    case: CaseOpt,
    reason: Annotated[str, typer.Option(help="Why the list was wrong.")],
    remove: Annotated[list[int] | None, typer.Option(help="Number of a wrong entity (repeatable).")] = None,
    add: Annotated[list[str] | None, typer.Option(help="TYPE=VALUE of a missed entity (repeatable).")] = None,
) -> None:
    """Remove wrong entities and add missed ones: a new revision with your name."""
    additions = []
    for value in add or []:
        kind, sep, text = value.partition("=")
        if not sep:
            raise InvalidInput(f"--add takes TYPE=VALUE, e.g. --add vrm=AB12CDE (got {value!r})")
        additions.append({"type": kind.strip(), "value": text.strip()})
    cli = state(ctx)
    version = cli.vault().analysis.correct_entities(
        cli.principal(), case, ref, remove=list(remove or []), add=additions, reason=reason
    )
    console.print(f"{version.exhibit_ref}: entities revision {version.revision} recorded", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(transcript_app, name="transcript")
    app.add_typer(entities_app, name="entities")
