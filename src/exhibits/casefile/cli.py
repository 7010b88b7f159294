"""Case-file commands: people, forms, the unused material register, shares, retention,
bundles. Thin: each command reads its input, calls one service method, prints the result."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from exhibits.cli.common import console, emit_json, printable, state
from exhibits.errors import InvalidInput

form_app = typer.Typer(
    help="Case file forms (MG5, MG6D/E, MG11, SDC) and people on a case.", no_args_is_help=True
)
unused_app = typer.Typer(
    help="The unused material register (MG6C, MG6D) and prosecutor decisions.", no_args_is_help=True
)
share_app = typer.Typer(
    help="Share material with a prosecutor or defence lawyer; the partner's view.", no_args_is_help=True
)
retention_app = typer.Typer(help="Retention review, holds, decisions and disposal.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _data(source: str) -> dict[str, Any]:
    """Form content from a JSON file, or '-' for standard input."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        value = json.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read form data from {source}: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput("form data is a JSON object")
    return value


def _day(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} is a date like 2027-05-31") from None


def _duration(text: str) -> timedelta:
    units = {"m": 60, "h": 3600, "d": 86400}
    try:
        return timedelta(seconds=float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise InvalidInput("give a duration like 30d, 12h or 90m") from None


def _record_line(view) -> str:
    return f"{view.id}  {view.form:<5} v{view.version} {view.state:<10} {printable(view.title)}"


# --- forms and people ----------------------------------------------------------------------


@form_app.command("create")
def form_create(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Crime reference, URN or case id.")],
    form: Annotated[str, typer.Argument(help="MG11, MG11R, MG5, MG6D (nil return), MG6E or SDC.")],
    data: Annotated[str, typer.Option("--data", help="JSON file with the form's content, or '-'.")],
    statement: Annotated[str | None, typer.Option(help="For an MG11R: the MG11 it belongs to.")] = None,
    title: Annotated[str | None, typer.Option(help="Title shown in lists.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a form record (a draft)."""
    cli = state(ctx)
    view = cli.vault().casefile.records.create(
        cli.principal(), case, form, _data(data), title=title, linked_id=statement
    )
    emit_json(view.as_dict()) if as_json else console.print(_record_line(view), markup=False)


@form_app.command("update")
def form_update(ctx: typer.Context, record: str, data: Annotated[str, typer.Option("--data")]) -> None:
    """Replace a draft's content (a new version; earlier versions are kept)."""
    cli = state(ctx)
    console.print(
        _record_line(cli.vault().casefile.records.update(cli.principal(), record, _data(data))), markup=False
    )


@form_app.command("sign")
def form_sign(
    ctx: typer.Context,
    record: str,
    signed_by: Annotated[str, typer.Option("--by", help="The signer's name (the witness, for an MG11).")],
    method: Annotated[
        str, typer.Option(help="How it was signed: typed-name, drawn, wet-ink-scan.")
    ] = "typed-name",
) -> None:
    """Sign a form: the signature covers this exact version's SHA-256; it never changes after."""
    cli = state(ctx)
    view = cli.vault().casefile.records.sign(cli.principal(), record, signed_by=signed_by, method=method)
    console.print(f"{_record_line(view)}  signed, SHA-256 {view.data_sha256}", markup=False)


@form_app.command("amend")
def form_amend(ctx: typer.Context, record: str, data: Annotated[str, typer.Option("--data")]) -> None:
    """A change to a signed statement: a new statement; the old one goes on the MG6C."""
    cli = state(ctx)
    console.print(
        _record_line(cli.vault().casefile.records.amend_statement(cli.principal(), record, _data(data))),
        markup=False,
    )


@form_app.command("sign-off")
def form_sign_off(
    ctx: typer.Context, record: str, note: Annotated[str | None, typer.Option()] = None
) -> None:
    """Supervisor sign-off of the MG5: it is locked from then on."""
    cli = state(ctx)
    console.print(
        _record_line(cli.vault().casefile.records.sign_off(cli.principal(), record, note=note)), markup=False
    )


@form_app.command("list")
def form_list(
    ctx: typer.Context,
    case: str,
    form: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """The case's form records (a partner sees only what was shared with them)."""
    cli = state(ctx)
    views = cli.vault().casefile.records.list(cli.principal(), case, form=form)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    for view in views:
        console.print(_record_line(view), markup=False)


@form_app.command("show")
def form_show(ctx: typer.Context, record: str) -> None:
    """One record as JSON."""
    cli = state(ctx)
    emit_json(cli.vault().casefile.records.get(cli.principal(), record).as_dict())


@form_app.command("render")
def form_render(
    ctx: typer.Context,
    case: str,
    form: Annotated[str, typer.Argument(help="A record id, or MG12, MG6C, MG6D.")],
    out: Annotated[Path, typer.Option(help="Directory for the PDF and JSON.")] = Path("."),
) -> None:
    """Render a form to PDF (URN, marking, page numbers) and structured JSON."""
    cli = state(ctx)
    stem, pdf, data = cli.vault().casefile.render(cli.principal(), case, form)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.pdf").write_bytes(pdf)
    (out / f"{stem}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    console.print(f"wrote {out / stem}.pdf and .json", markup=False)


@form_app.command("person")
def person_add(
    ctx: typer.Context, case: str, data: Annotated[str, typer.Option("--data")], as_json: JsonOpt = False
) -> None:
    """Add a person (suspect, victim, witness, reporting person) with validated identifiers."""
    cli = state(ctx)
    view = cli.vault().casefile.records.add_person(cli.principal(), case, _data(data))
    emit_json(view.as_dict()) if as_json else console.print(
        f"{view.id}  {view.role}: {printable(view.name)}", markup=False
    )


@form_app.command("people")
def people_list(ctx: typer.Context, case: str, as_json: JsonOpt = False) -> None:
    """People on a case."""
    cli = state(ctx)
    views = cli.vault().casefile.records.list_people(cli.principal(), case)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    for view in views:
        ids = ", ".join(f"{k}={v}" for k, v in view.identifiers.items())
        console.print(f"{view.id}  {view.role:<16} {printable(view.name)}  {ids}", markup=False)


# --- unused material --------------------------------------------------------------------------


def _print_items(items, as_json: bool) -> None:
    if as_json:
        emit_json([i.as_dict() for i in items])
        return
    table = Table("No.", "schedule", "description", "location", "decision")
    for i in items:
        table.add_row(
            str(i.item_no), i.schedule, printable(i.description), printable(i.location), i.decision or ""
        )
    console.print(table)


@unused_app.command("add")
def unused_add(
    ctx: typer.Context,
    case: str,
    refs: Annotated[
        list[str] | None, typer.Argument(help="Exhibit references to add (descriptions pre-filled).")
    ] = None,
    derivative: Annotated[list[str] | None, typer.Option(help="SHA-256 of a derivative to add.")] = None,
    schedule: Annotated[str, typer.Option(help="MG6C or MG6D.")] = "MG6C",
    sensitivity: Annotated[str | None, typer.Option(help="MG6D: why it is sensitive.")] = None,
    description: Annotated[
        str | None, typer.Option(help="An item that is not an exhibit: its description.")
    ] = None,
    location: Annotated[str | None, typer.Option(help="Where the item is kept.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put exhibits, derivatives or other material on the register in one action."""
    cli = state(ctx)
    disclosure = cli.vault().casefile.disclosure
    if description:
        items = [
            disclosure.add_item(
                cli.principal(),
                case,
                schedule=schedule,
                description=description,
                location=location or "not stated",
                sensitivity_reason=sensitivity,
            )
        ]
    else:
        items = disclosure.add_exhibits(
            cli.principal(),
            case,
            refs or [],
            derivatives=derivative or [],
            schedule=schedule,
            sensitivity_reason=sensitivity,
            location=location,
        )
    _print_items(items, as_json)


@unused_app.command("list")
def unused_list(
    ctx: typer.Context,
    case: str,
    schedule: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """The register, or one schedule."""
    cli = state(ctx)
    _print_items(cli.vault().casefile.disclosure.schedule(cli.principal(), case, schedule), as_json)


@unused_app.command("decide")
def unused_decide(
    ctx: typer.Context,
    case: str,
    item_no: int,
    decision: Annotated[str, typer.Argument(help="D, CND, I (or PII on the MG6D).")],
    reason: Annotated[str | None, typer.Option()] = None,
) -> None:
    """The prosecutor's decision on an item (kept with its history)."""
    cli = state(ctx)
    item = cli.vault().casefile.disclosure.decide(cli.principal(), case, item_no, decision, reason)
    console.print(f"item {item.item_no}: {item.decision}", markup=False)


# --- sharing ---------------------------------------------------------------------------------


@share_app.command("create")
def share_create(
    ctx: typer.Context,
    case: str,
    partner: Annotated[str, typer.Option(help="The prosecutor's or defence lawyer's user id (collar).")],
    exhibit: Annotated[list[str] | None, typer.Option(help="Exhibit reference to share.")] = None,
    derivative: Annotated[list[str] | None, typer.Option(help="SHA-256 of a derivative to share.")] = None,
    record: Annotated[list[str] | None, typer.Option(help="Form record id to share.")] = None,
    form: Annotated[list[str] | None, typer.Option(help="Generated form: MG12 or MG6C.")] = None,
    expires: Annotated[str, typer.Option(help="How long: 30d, 12h...")] = "30d",
    download: Annotated[bool, typer.Option(help="Allow download, not only viewing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Give a named partner read-only access to chosen material, until it expires."""
    cli = state(ctx)
    view = cli.vault().casefile.sharing.create(
        cli.principal(),
        case,
        partner,
        exhibits=exhibit or [],
        derivatives=derivative or [],
        records=record or [],
        forms=form or [],
        expires_in=_duration(expires),
        allow_download=download,
    )
    emit_json(view.as_dict()) if as_json else console.print(
        f"share {view.id} for {printable(view.partner)} until {view.expires_at:%Y-%m-%d %H:%M} UTC",
        markup=False,
    )


@share_app.command("list")
def share_list(ctx: typer.Context, case: str, as_json: JsonOpt = False) -> None:
    cli = state(ctx)
    views = cli.vault().casefile.sharing.list(cli.principal(), case)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    for v in views:
        status = "active" if v.active else ("revoked" if v.revoked_at else "expired")
        console.print(
            f"{v.id}  {printable(v.partner)} ({v.partner_role})  {status}  {len(v.items)} items", markup=False
        )


@share_app.command("revoke")
def share_revoke(
    ctx: typer.Context, share: str, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Revoke a share: it stops working at once."""
    cli = state(ctx)
    cli.vault().casefile.sharing.revoke(cli.principal(), share, reason)
    console.print(f"share {share} revoked", markup=False)


@share_app.command("cases")
def shared_cases(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Partners: the cases shared with you."""
    cli = state(ctx)
    cases = cli.vault().casefile.sharing.partner_cases(cli.principal())
    if as_json:
        emit_json(cases)
        return
    for c in cases:
        console.print(f"{printable(c['crime_ref'])}  {c['urn'] or ''}  {printable(c['title'])}", markup=False)


@share_app.command("items")
def shared_items(ctx: typer.Context, case: str, as_json: JsonOpt = False) -> None:
    """Partners: what has been shared with you in a case."""
    cli = state(ctx)
    items = cli.vault().casefile.sharing.partner_items(cli.principal(), case)
    if as_json:
        emit_json(items)
        return
    for i in items:
        what = i["exhibit"] or i["form"] or i["record"]
        console.print(f"{i['kind']:<10} {what}  {i['sha256'] or ''}  until {i['expires_at']}", markup=False)


@share_app.command("get")
def shared_get(
    ctx: typer.Context,
    case: str,
    item: Annotated[str, typer.Argument(help="Exhibit reference or SHA-256 of shared content.")],
    out: Annotated[Path, typer.Option(help="File to write (the share must allow download).")],
    justification: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Partners: download shared content (logged with your identity)."""
    cli = state(ctx)
    result = cli.vault().casefile.sharing.open_content(
        cli.principal(), case, item, out=out, justification=justification
    )
    console.print(f"wrote {out} ({result['size']} bytes, SHA-256 {result['sha256']})", markup=False)


# --- retention ---------------------------------------------------------------------------------


@retention_app.command("due")
def retention_due(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Review date (default today).")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Everything, with its review date.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What is due for retention review."""
    cli = state(ctx)
    items = cli.vault().casefile.retention.queue(
        cli.principal(), as_of=_day(as_of, "--as-of"), include_future=all_items
    )
    if as_json:
        emit_json([i.as_dict() for i in items])
        return
    table = Table("subject", "id", "case", "what", "review on", "basis", "holds", "decision")
    for i in items:
        table.add_row(
            i.subject,
            i.id,
            printable(i.case_ref or ""),
            printable(i.label),
            i.review_on.isoformat() if i.review_on else "-",
            i.basis,
            "; ".join(i.holds),
            i.decision or "",
        )
    console.print(table)


@retention_app.command("outcome")
def retention_outcome(
    ctx: typer.Context,
    case: str,
    outcome: Annotated[str, typer.Argument(help="nfa, acquitted, discontinued, convicted, undetected.")],
    on: Annotated[str, typer.Option(help="Date of the outcome.")],
    custodial: Annotated[bool, typer.Option(help="Custodial sentence or hospital order.")] = False,
    release: Annotated[str | None, typer.Option(help="Release date, when known.")] = None,
    mopi_group: Annotated[int | None, typer.Option(help="MoPI group 1-4 of the offence.")] = None,
) -> None:
    """Record how a case ended (the retention rules are keyed on it)."""
    cli = state(ctx)
    cli.vault().casefile.retention.record_outcome(
        cli.principal(),
        case,
        outcome,
        _day(on, "--on"),
        custodial=custodial,  # type: ignore[arg-type]
        release_date=_day(release, "--release"),
        offence_group=mopi_group,
    )
    console.print(f"outcome of {case}: {outcome}", markup=False)


@retention_app.command("hold")
def retention_hold(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="appeal, ccrc, iopc, civil or inquest.")],
    reason: Annotated[str, typer.Option()],
    case: Annotated[str | None, typer.Option()] = None,
    media: Annotated[str | None, typer.Option(help="Media id or SHA-256 prefix.")] = None,
    reference: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Place a hold that blocks disposal."""
    cli = state(ctx)
    hold = cli.vault().casefile.retention.place_hold(
        cli.principal(), kind, reason, case_key=case, media_key=media, reference=reference
    )
    console.print(f"hold {hold} placed", markup=False)


@retention_app.command("lift")
def retention_lift(ctx: typer.Context, hold: str, reason: Annotated[str, typer.Option()]) -> None:
    cli = state(ctx)
    cli.vault().casefile.retention.lift_hold(cli.principal(), hold, reason)
    console.print(f"hold {hold} lifted", markup=False)


@retention_app.command("decide")
def retention_decide(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="media, exhibit or person.")],
    subject_id: str,
    decision: Annotated[str, typer.Argument(help="retain or dispose.")],
    reason: Annotated[str, typer.Option()],
    until: Annotated[str | None, typer.Option(help="Retain: the next review date.")] = None,
    authority: Annotated[str | None, typer.Option()] = None,
) -> None:
    """A supervisor's review decision, with reasons."""
    cli = state(ctx)
    cli.vault().casefile.retention.decide(
        cli.principal(),
        subject,
        subject_id,
        decision,
        reason,
        retain_until=_day(until, "--until"),
        authority=authority,
    )
    console.print(f"{decision} recorded for {subject} {subject_id}", markup=False)


@retention_app.command("dispose")
def retention_dispose(
    ctx: typer.Context,
    subject: str,
    subject_id: str,
    reason: Annotated[str, typer.Option()],
    authority: Annotated[str, typer.Option()],
) -> None:
    """Carry out a decision to dispose; prints the certificate kept in the custody log."""
    cli = state(ctx)
    emit_json(
        cli.vault().casefile.retention.dispose(
            cli.principal(), subject, subject_id, reason=reason, authority=authority
        )
    )


@retention_app.command("finish")
def retention_finish(ctx: typer.Context) -> None:
    """Complete disposals interrupted after their certificate was logged."""
    cli = state(ctx)
    done = cli.vault().casefile.retention.finish_interrupted(cli.principal())
    console.print(f"{done} interrupted disposal(s) completed", markup=False)


# --- bundles ------------------------------------------------------------------------------------


def bundle(
    ctx: typer.Context,
    case: str,
    recipient: Annotated[str, typer.Option("--for", help="cps, defence or court.")],
    out: Annotated[Path, typer.Option(help="New directory, or a path ending in .zip.")],
    as_json: JsonOpt = False,
) -> None:
    """Export an open, verifiable bundle (BagIt + CASE/UCO + custody proofs)."""
    cli = state(ctx)
    result = cli.vault().casefile.bundles.export(cli.principal(), case, recipient, out)
    emit_json(result) if as_json else console.print(
        f"bundle for {recipient}: {result['files']} files, {result['events']} custody events -> {out}",
        markup=False,
    )


def verify_bundle(
    path: Path,
    trusted_key: Annotated[
        list[str] | None, typer.Option("--trusted-key", help="Key or fingerprint you trust.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a bundle: every hash, the custody proofs, and the checkpoint's signature."""
    from exhibits.casefile.bundle.verify import main

    args = [str(path), *[a for key in (trusted_key or []) for a in ("--trusted-key", key)]]
    # sys.exit, not typer.Exit: the status (0 verified, 1 unverified, 2 failed) must survive
    sys.exit(main([*args, "--json"] if as_json else args))


def import_bundle(
    ctx: typer.Context,
    path: Path,
    crime_ref: Annotated[
        str | None, typer.Option(help="Reference for the new case (default: the bundle's).")
    ] = None,
    trusted_key: Annotated[list[str] | None, typer.Option("--trusted-key")] = None,
    producer: Annotated[str | None, typer.Option(help="Who produces the imported exhibits here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a case from another force's bundle, keeping provenance and history."""
    cli = state(ctx)
    result = cli.vault().casefile.bundles.import_bundle(
        cli.principal(), path, crime_ref=crime_ref, trusted_keys=trusted_key or [], producer=producer
    )
    emit_json(result) if as_json else console.print(
        f"imported case {result['case']}: {len(result['exhibits'])} exhibits, "
        f"{result['events_verified']} custody events verified",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(form_app, name="form")
    app.add_typer(unused_app, name="unused")
    app.add_typer(share_app, name="share")
    app.add_typer(retention_app, name="retention")
    app.command()(bundle)
    app.command("verify-bundle")(verify_bundle)
    app.command("import-bundle")(import_bundle)
