"""Redaction commands: ``exhibits redact ...`` and ``exhibits get``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from exhibits.cli.common import console, emit_json, err_console, human_size, printable, state
from exhibits.errors import InvalidInput

redact_app = typer.Typer(help="Redaction sets: propose, review, adjust and render.", no_args_is_help=True)

CaseOpt = Annotated[str, typer.Option("--case", help="Crime reference, URN or case id.")]
SetArg = Annotated[str, typer.Argument(help="Redaction set id (6+ hex digits).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _read_facts(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read facts from {path}: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{path} does not hold a JSON object")
    return value


def _box(text: str | None) -> Any:
    from exhibits.redaction.domain import Box

    if text is None:
        return None
    return Box.parse(text.replace(" ", "").split(","))


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


@redact_app.command("propose")
def propose(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Exhibit reference, e.g. JS/1.")],
    case: CaseOpt,
    purpose: Annotated[
        str, typer.Option(help="What the redacted copy is for: 'CPS charging file', 'defence'...")
    ],
    detect: Annotated[str, typer.Option(help="Detectors, comma-separated: faces, plates, speech, text.")],
    into: Annotated[
        str | None, typer.Option("--set", help="Add to this existing set instead of a new one.")
    ] = None,
    terms: Annotated[
        list[str] | None,
        typer.Option("--term", help="A word or phrase to redact wherever it occurs (repeatable)."),
    ] = None,
    entity_types: Annotated[
        str | None,
        typer.Option(help="Entity types to redact (default: names, addresses, phones, plates...)."),
    ] = None,
    transcript: Annotated[
        Path | None, typer.Option(help="Transcription facts (JSON) to use for speech.")
    ] = None,
    entities: Annotated[Path | None, typer.Option(help="Entity facts (JSON).")] = None,
    ocr: Annotated[Path | None, typer.Option(help="OCR facts with word boxes (JSON).")] = None,
    effect: Annotated[str, typer.Option(help="For speech: bleep or mute.")] = "bleep",
    as_json: JsonOpt = False,
) -> None:
    """Run detectors over an exhibit and propose redactions for review; prints the set id."""
    from exhibits.redaction.service import ProposalInputs

    cli = state(ctx)
    vault, principal = cli.vault(), cli.principal()
    service = vault.redaction
    set_id = into or service.create_set(principal, case, ref, purpose).id
    inputs = ProposalInputs(
        transcript=_read_facts(transcript),
        entities=_read_facts(entities),
        ocr=_read_facts(ocr),
        terms=list(terms or []),
        entity_types=_split(entity_types) or None,
        audio_effect=effect,
    )
    view, outcome = service.propose(principal, set_id, _split(detect), inputs)
    if as_json:
        emit_json({"set": view.as_dict(), "facts": outcome.facts, "warnings": outcome.warnings})
        return
    for warning in outcome.warnings:
        err_console.print(f"warning: {printable(warning)}", markup=False)
    err_console.print(
        f"{view.counts.get('by_state', {}).get('proposed', 0)} items proposed for {view.exhibit_ref}; "
        f"review with 'exhibits redact show {view.id[:12]}'",
        markup=False,
    )
    console.print(view.id, markup=False)


@redact_app.command("create")
def create(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Exhibit reference, e.g. JS/1.")],
    case: CaseOpt,
    purpose: Annotated[str, typer.Option(help="What the redacted copy is for.")],
) -> None:
    """Start an empty redaction set (to draw regions by hand); prints its id."""
    cli = state(ctx)
    console.print(cli.vault().redaction.create_set(cli.principal(), case, ref, purpose).id, markup=False)


@redact_app.command("list")
def list_sets(
    ctx: typer.Context,
    case: CaseOpt,
    ref: Annotated[str | None, typer.Argument(help="Only this exhibit's sets.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The redaction sets of a case (or of one exhibit)."""
    cli = state(ctx)
    views = cli.vault().redaction.list_sets(cli.principal(), case, ref)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    table = Table("set", "exhibit", "purpose", "version", "items", "renders")
    for v in views:
        table.add_row(
            v.id[:12],
            v.exhibit_ref,
            printable(v.purpose),
            str(v.version),
            str(v.counts["items"]),
            str(len(v.renders)),
        )
    console.print(table)


@redact_app.command("show")
def show(ctx: typer.Context, set_id: SetArg, as_json: JsonOpt = False) -> None:
    """A set's items, their state and reasons, and its renders."""
    cli = state(ctx)
    view = cli.vault().redaction.show(cli.principal(), set_id)
    if as_json:
        emit_json(view.as_dict())
        return
    console.print(
        f"set {view.id} on {view.exhibit_ref} ({view.media_kind}) for {printable(view.purpose)}: "
        f"version {view.version}, digest {view.digest}",
        markup=False,
    )
    table = Table("#", "kind", "state", "reason", "where", "source", "score", "note")
    for item in view.items:
        table.add_row(
            str(item.number),
            item.kind,
            item.state,
            printable(item.reason),
            printable(item.summary()),
            item.source,
            "" if item.score is None else f"{item.score:.2f}",
            printable(item.note or ""),
        )
    console.print(table)
    for render in view.renders:
        console.print(f"rendered v{render.version}: {render.sha256} ({render.mime_type})", markup=False)


def _numbers(items: list[str] | None, all_items: bool) -> list[int] | None:
    if all_items:
        if items:
            raise InvalidInput("give item numbers or --all, not both")
        return None
    if not items:
        raise InvalidInput("give the item numbers to review, or --all for every proposed item")
    try:
        return [int(n) for text in items for n in text.split(",") if n]
    except ValueError as exc:
        raise InvalidInput("item numbers are whole numbers, e.g. 3 5 7") from exc


ItemsArg = Annotated[list[str] | None, typer.Argument(help="Item numbers.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every item still proposed.")]
NoteOpt = Annotated[str | None, typer.Option(help="A note kept with the decision.")]


@redact_app.command("accept")
def accept(
    ctx: typer.Context,
    set_id: SetArg,
    items: ItemsArg = None,
    all_items: AllOpt = False,
    note: NoteOpt = None,
) -> None:
    """Accept proposed items: they will be redacted."""
    from exhibits.redaction.domain import ItemState

    _review(ctx, set_id, _numbers(items, all_items), ItemState.ACCEPTED, note)


@redact_app.command("reject")
def reject(
    ctx: typer.Context,
    set_id: SetArg,
    items: ItemsArg = None,
    all_items: AllOpt = False,
    note: NoteOpt = None,
) -> None:
    """Reject items as false detections: nothing there to redact."""
    from exhibits.redaction.domain import ItemState

    _review(ctx, set_id, _numbers(items, all_items), ItemState.REJECTED, note)


@redact_app.command("keep")
def keep(
    ctx: typer.Context,
    set_id: SetArg,
    items: ItemsArg = None,
    note: Annotated[str, typer.Option(help="Why it is not redacted (required).")] = "",
    reason: Annotated[str, typer.Option(help="What it is, for a set-level decision.")] = "other",
) -> None:
    """Reviewed, not redacted: for the given items, or (with no items) for the whole exhibit."""
    from exhibits.redaction.domain import ItemState

    if not items:
        cli = state(ctx)
        item = cli.vault().redaction.decide_not_redacted(cli.principal(), set_id, reason, note)
        console.print(f"recorded decision {item.number}: reviewed, not redacted", markup=False)
        return
    _review(ctx, set_id, _numbers(items, False), ItemState.KEPT, note)


def _review(ctx: typer.Context, set_id: str, numbers: list[int] | None, new_state, note: str | None) -> None:
    cli = state(ctx)
    view = cli.vault().redaction.review(cli.principal(), set_id, numbers, new_state, note=note)
    console.print(
        f"set {view.id[:12]} is now version {view.version}: {view.counts['by_state']}", markup=False
    )


@redact_app.command("add")
def add(
    ctx: typer.Context,
    set_id: SetArg,
    reason: Annotated[
        str, typer.Option(help="face, plate, address, phone, name, screen, tattoo ... or free text.")
    ],
    box: Annotated[
        str | None, typer.Option(help="x,y,width,height as fractions (0..1) of the picture.")
    ] = None,
    shape: Annotated[str, typer.Option(help="box or ellipse.")] = "box",
    page: Annotated[int | None, typer.Option(help="PDF page (from 1).")] = None,
    start: Annotated[float | None, typer.Option("--from", help="Start, seconds from the beginning.")] = None,
    end: Annotated[float | None, typer.Option("--to", help="End, seconds from the beginning.")] = None,
    effect: Annotated[str, typer.Option(help="Audio: bleep or mute.")] = "bleep",
    note: NoteOpt = None,
) -> None:
    """Add a region (image, page, or video from --from to --to) or an audio span (--from/--to, no --box)."""
    from exhibits.redaction.domain import ItemKind

    cli = state(ctx)
    service = cli.vault().redaction
    view = service.show(cli.principal(), set_id)
    region = _box(box)
    if region is None:
        if start is None or end is None:
            raise InvalidInput("give --box for a region, or --from and --to for an audio span")
        kind, geometry = ItemKind.AUDIO, {"start": start, "end": end, "effect": effect}
    elif view.media_kind == "video":
        if start is None or end is None:
            raise InvalidInput("a region on video needs --from and --to (or use 'exhibits redact track')")
        kind = ItemKind.TRACK
        geometry = {"shape": shape, "start": start, "end": end, "keyframes": [[start, *region.as_list()]]}
    else:
        kind, geometry = ItemKind.REGION, {"shape": shape, "box": region.as_list(), "page": page}
    item = service.add(cli.principal(), view.id, kind, geometry, reason, note=note)
    console.print(f"added item {item.number}: {printable(item.summary())}", markup=False)


@redact_app.command("track")
def track(
    ctx: typer.Context,
    set_id: SetArg,
    at: Annotated[float, typer.Option(help="Time of the frame the box is drawn on (seconds).")],
    box: Annotated[str, typer.Option(help="x,y,width,height as fractions (0..1) of the picture.")],
    reason: Annotated[str, typer.Option(help="plate, screen, tattoo, house_number, face ...")],
    shape: Annotated[str, typer.Option(help="box or ellipse.")] = "box",
    start: Annotated[float | None, typer.Option("--from", help="Track no earlier than this.")] = None,
    end: Annotated[float | None, typer.Option("--to", help="Track no later than this.")] = None,
    note: NoteOpt = None,
) -> None:
    """Assisted tracking: draw a box on one frame; a tracker carries it through the clip."""
    cli = state(ctx)
    item = cli.vault().redaction.track(
        cli.principal(), set_id, at, _box(box), reason, shape=shape, note=note, start=start, end=end
    )
    console.print(f"added item {item.number}: {printable(item.summary())}", markup=False)


@redact_app.command("adjust")
def adjust(
    ctx: typer.Context,
    set_id: SetArg,
    item: Annotated[int, typer.Argument(help="Item number.")],
    at: Annotated[float | None, typer.Option(help="Time the new box applies at (tracks).")] = None,
    box: Annotated[str | None, typer.Option(help="New box x,y,width,height (fractions).")] = None,
    start: Annotated[float | None, typer.Option("--from", help="New start of a track (seconds).")] = None,
    end: Annotated[float | None, typer.Option("--to", help="New end of a track (seconds).")] = None,
) -> None:
    """Adjust an item: a track's box at any frame, its start or end, or a region's box."""
    cli = state(ctx)
    service = cli.vault().redaction
    current = service.item(cli.principal(), set_id, item)
    geometry = None
    if current.kind == "region" and box:
        geometry = {**current.geometry, "box": _box(box).as_list()}
    elif current.kind == "audio" and (start is not None or end is not None):
        geometry = {
            **current.geometry,
            **({"start": start} if start is not None else {}),
            **({"end": end} if end is not None else {}),
        }
    view = service.adjust(
        cli.principal(), set_id, item, at=at, box=_box(box), start=start, end=end, geometry=geometry
    )
    console.print(f"item {view.number}: {printable(view.summary())}", markup=False)


@redact_app.command("render")
def render(ctx: typer.Context, set_id: SetArg, as_json: JsonOpt = False) -> None:
    """Render the set from the original into a new derivative; prints its SHA-256."""
    cli = state(ctx)
    view = cli.vault().redaction.render(cli.principal(), set_id)
    if as_json:
        emit_json(view.as_dict())
        return
    err_console.print(
        f"rendered set version {view.version} ({view.mime_type}); "
        f"report {view.report_pdf_sha256[:16]} (PDF), "
        f"{view.report_json_sha256[:16]} (JSON)",
        markup=False,
    )
    console.print(view.sha256, markup=False)


def get(
    ctx: typer.Context,
    key: Annotated[
        str, typer.Argument(help="Exhibit reference (the original) or SHA-256 (original or derivative).")
    ],
    case: CaseOpt,
    out: Annotated[Path, typer.Option("--out", help="File to write (must not exist).")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why you are opening it (force policy).")
    ] = None,
) -> None:
    """Write an original or a derivative (such as a redacted copy) to a file, hash-checked and logged."""
    from exhibits.redaction.content import get_content

    cli = state(ctx)
    copy = get_content(cli.vault(), cli.principal(), case, key, out, reason)
    console.print(
        f"wrote {printable(copy.what)} ({human_size(copy.size)}, SHA-256 {copy.sha256}) to "
        f"{printable(str(copy.path))}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(redact_app, name="redact")
    app.command()(get)
