"""Vault commands: init, upgrade, verify, checkpoint, backup, restore, key rotation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from exhibits.cli.common import byte_progress, console, emit_json, human_size, printable, state
from exhibits.errors import InvalidInput


def init(
    path: Annotated[Path, typer.Argument(help="New vault directory.")],
    admin_password: Annotated[
        str | None,
        typer.Option(envvar="EXHIBITS_ADMIN_PASSWORD", help="Password of the first administrator."),
    ] = None,
    admin_collar: Annotated[str, typer.Option(help="Collar number of the first administrator.")] = "ADMIN",
    admin_name: Annotated[str, typer.Option(help="Name of the first administrator.")] = "Vault Administrator",
    force_code: Annotated[str, typer.Option(help="Force code (the first two digits of your URNs).")] = "00",
    force_name: Annotated[
        str, typer.Option(help="Force name, for reports.")
    ] = "Exhibits demonstration force",
    key_file: Annotated[
        Path | None, typer.Option(help="Where to create the log signing key (outside the vault).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="postgresql://... (default: SQLite in the vault).")
    ] = None,
    database_admin_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL of the role that owns the tables (migrations)."),
    ] = None,
    blob_url: Annotated[
        str | None, typer.Option(help="s3://bucket/prefix?endpoint_url=... (default: files).")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="Log origin line for checkpoints.")] = None,
) -> None:
    """Create a vault: data directory, database, signing key and first administrator."""
    from exhibits.vault.init import VaultOptions, init_vault

    if not admin_password:
        if not os.isatty(0):
            raise InvalidInput("give --admin-password or set EXHIBITS_ADMIN_PASSWORD")
        admin_password = typer.prompt(
            "Password for the first administrator", hide_input=True, confirmation_prompt=True
        )
    settings = init_vault(
        path,
        VaultOptions(
            admin_collar=admin_collar,
            admin_name=admin_name,
            admin_password=admin_password,
            force_code=force_code,
            force_name=force_name,
            key_file=key_file,
            database_url=database_url,
            database_admin_url=database_admin_url,
            blob_url=blob_url,
            origin=origin,
        ),
    )
    console.print(f"Created vault {settings.vault}")
    console.print(f"  administrator : {admin_collar.upper()} ({admin_name})")
    console.print(f"  signing key   : {settings.signing_key_file}  (keep it safe, outside the vault)")
    console.print(f"  log key       : {settings.log_key}")
    console.print(f"Next: export EXHIBITS_VAULT={settings.vault}")


def upgrade(ctx: typer.Context) -> None:
    """Bring the vault's database up to this version of Exhibits (apply pending migrations)."""
    from exhibits.config import load_settings, resolve_vault_path
    from exhibits.db import migrate

    settings = load_settings(resolve_vault_path(state(ctx).vault_path))
    before = migrate.current(settings.database_admin_url)
    migrate.upgrade(settings.database_admin_url, settings.database_url)
    after = migrate.current(settings.database_admin_url)
    applied = sorted(after - before)
    console.print(f"Upgraded {settings.vault}: {', '.join(applied)}" if applied else "Already up to date.")


def verify(
    ctx: typer.Context,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option("--checkpoint", help="A checkpoint held outside the vault; repeatable."),
    ] = None,
    trusted_key: Annotated[
        list[str] | None,
        typer.Option("--trusted-key", help="Verifier key (name+id+key) the outside checkpoints must carry."),
    ] = None,
    skip_content: Annotated[bool, typer.Option(help="Check the log only, not the stored bytes.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Re-hash every blob and recompute the whole log. Exit status 10 on any tampering."""
    from exhibits.custody.note import NoteError, Verifier
    from exhibits.custody.verify import OutsideCheckpoint
    from exhibits.vault.verify import verify_vault

    cli = state(ctx)
    vault, principal = cli.vault(), cli.principal()
    try:
        keys = tuple(Verifier.from_vkey(k) for k in trusted_key or [])
    except NoteError as exc:
        raise InvalidInput(f"--trusted-key: {exc}") from exc
    outside = []
    for path in checkpoint or []:
        try:
            outside.append(OutsideCheckpoint(path.read_text(), keys, f"checkpoint {path.name}"))
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    with vault.reading() as session:
        from sqlalchemy import func, select

        from exhibits.evidence.models import Blob

        total = session.scalar(
            select(func.coalesce(func.sum(Blob.size), 0)).where(Blob.disposed_at.is_(None))
        )
    with byte_progress(not as_json and not skip_content) as bars:
        report = verify_vault(
            vault, principal, outside=outside, progress=bars("verifying content", int(total or 0)),
            check_blobs=not skip_content,
        )  # fmt: skip
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(10)


def _print_report(report) -> None:
    log = report.log
    console.print(f"Custody log: {log.size:,} events, root {log.root.hex()[:16]}..., "
                  f"{log.checkpoints_checked} signed checkpoints checked")  # fmt: skip
    console.print(f"Content: {report.blobs_checked:,} blobs, {human_size(report.bytes_checked)} re-hashed")
    for sha in report.disposed:
        console.print(f"  disposed (recorded): {sha}")
    if report.orphans:
        console.print(f"  {report.orphans} stored blob(s) belong to no record (interrupted ingests)")
    for note in log.notes:
        console.print(f"  {printable(note)}")
    problems = log.problems + report.problems
    if problems:
        console.print(f"[bold red]TAMPERING OR DAMAGE DETECTED: {len(problems)} problem(s)[/]")
        for problem in problems:
            console.print(f"  - {printable(problem)}", markup=False)
    else:
        console.print("[bold green]OK: every byte and every event matches what was signed.[/]")


def checkpoint(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the signed checkpoint to this file.")
    ] = None,
) -> None:
    """Sign a checkpoint of the log now, to hold outside the vault."""
    cli = state(ctx)
    note = cli.vault().custody.checkpoint(cli.principal(), out)
    if out is None:
        console.print(note, markup=False, end="")
    else:
        console.print(f"Checkpoint written to {out}")


def backup(ctx: typer.Context, target: Annotated[Path, typer.Argument(help="Empty directory.")]) -> None:
    """Make a consistent copy of database, blobs and checkpoint."""
    from exhibits.vault.backup import backup as make_backup

    cli = state(ctx)
    manifest = make_backup(cli.vault(), cli.principal(), target)
    console.print(f"Backed up {manifest['blobs']} blobs ({human_size(manifest['bytes'])}) to {target}")


def restore(
    source: Annotated[Path, typer.Argument(help="A directory made by 'exhibits backup'.")],
    target: Annotated[Path, typer.Argument(help="New vault directory to create.")],
    database_url: Annotated[
        str | None, typer.Option(help="Target PostgreSQL database, if backed up from one.")
    ] = None,
) -> None:
    """Restore a backup into a new vault directory; run 'exhibits verify' on it afterwards."""
    from exhibits.vault.backup import restore as do_restore

    result = do_restore(source, target, database_url=database_url)
    console.print(f"Restored {result['blobs_present']} blobs into {target}")


key_app = typer.Typer(help="The log's signing key.", no_args_is_help=True)


@key_app.command("rotate")
def rotate(
    ctx: typer.Context,
    new_key_file: Annotated[Path, typer.Option(help="Path for the new key (outside the vault).")],
) -> None:
    """Switch to a new signing key; the old key countersigns the switch."""
    cli = state(ctx)
    verifier = cli.vault().custody.rotate_key(cli.principal(), new_key_file)
    console.print(f"New log key: {verifier.vkey()}")


@key_app.command("show")
def show_keys(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The log's key history (public keys only)."""
    cli = state(ctx)
    keys = cli.vault().custody.verifier_keys()
    if as_json:
        emit_json([{"vkey": k.vkey(), "fingerprint": k.fingerprint} for k in keys])
        return
    table = Table("verifier key", "fingerprint (SHA-256)")
    for key in keys:
        table.add_row(key.vkey(), key.fingerprint)
    console.print(table)


def demo(ctx: typer.Context) -> None:
    """Create a small demonstration case (DEMO/0001/26) with three exhibits."""
    import tempfile

    from exhibits.vault.demo import create_demo

    cli = state(ctx)
    with tempfile.TemporaryDirectory() as workdir:
        reference = create_demo(cli.vault(), cli.principal(), Path(workdir))
    console.print(f"Demo case {reference} is ready: try 'exhibits ls --case {reference}'")


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command()(init)
    app.command()(upgrade)
    app.command()(verify)
    app.command()(checkpoint)
    app.command()(backup)
    app.command()(restore)
    app.add_typer(key_app, name="key")
