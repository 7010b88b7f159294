"""Processing commands: worker, jobs, processing, reprocess, clip and still."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from exhibits.access.permissions import Permission
from exhibits.cli.common import console, emit_json, printable, state
from exhibits.errors import InvalidInput
from exhibits.processing.views import JobView

STATUS_STYLE = {"pending": "yellow", "running": "cyan", "done": "green", "failed": "red", "skipped": "dim"}


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs to run at once (default: processing.workers).")
    ] = None,
    queues: Annotated[
        str | None, typer.Option(help="Only these queues, comma-separated (e.g. 'default' or 'media').")
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="embedded (claim from the database) or celery (default: settings).")
    ] = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Stop when no job is left (embedded mode).")
    ] = False,
) -> None:
    """Process jobs: embedded (from the database) or as a Celery worker on the broker."""
    cli = state(ctx)
    vault = cli.vault()
    cli.principal().require(Permission.PROCESSING_MANAGE)
    service = vault.processing
    chosen = mode or service.settings.mode
    queue_list = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    if chosen == "celery":
        _celery_worker(cli, concurrency, queue_list)
        return
    if chosen != "embedded":
        raise InvalidInput("--mode is embedded or celery")
    from exhibits.processing.worker import EmbeddedWorker

    def report(claimed, status: str) -> None:
        console.print(f"{claimed.processor:>14} {claimed.sha256[:16]} {status}", markup=False)

    runner = EmbeddedWorker(
        vault, concurrency=concurrency, queues=queue_list, until_idle=until_idle, on_job=report
    )
    runner.install_signal_handlers()
    count = runner.run()
    console.print(f"worker stopped after {count} jobs", markup=False)


def _celery_worker(cli, concurrency: int | None, queues: list[str] | None) -> None:
    """Run `celery worker` for this vault, with the relay beside it in this process."""
    from exhibits.processing.dispatch import queue_name

    vault = cli.vault()
    service = vault.processing
    service.settings.require_broker()
    names = queues or sorted({service.registry.planned(n).queue for n in service.registry.processors})
    command = [
        sys.executable, "-m", "celery", "-A", "exhibits.processing.celery_app", "worker",
        "--queues", ",".join(queue_name(q, service.settings.queue_prefix) for q in names),
        "--concurrency", str(concurrency or service.settings.workers),
        "--hostname", f"exhibits-{os.getpid()}@%h", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    env = {**os.environ, "EXHIBITS_VAULT": str(vault.settings.vault)}
    stop = threading.Event()
    relay = threading.Thread(target=service.dispatcher.run_relay, args=(stop,), daemon=True)
    relay.start()
    process = subprocess.Popen(command, env=env)

    def forward(signum: int, _frame: object) -> None:
        stop.set()
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = process.wait()
    stop.set()
    relay.join(timeout=5)
    service.dispatcher.close()
    if code not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise typer.Exit(code if code > 0 else 1)


def _jobs_table(views: list[JobView], title: str) -> Table:
    table = Table(
        "job", "content", "type", "processor", "status", "tries", "time", "exhibits", "reason / warnings",
        title=title,
    )  # fmt: skip
    for job in views:
        status = job.status + (
            f" ({len(job.warnings)} warning)" if job.warnings and job.status == "done" else ""
        )
        note = job.error or ("; ".join(job.warnings[:2]) if job.warnings else "")
        table.add_row(
            job.id[:8], job.sha256[:12], job.mime_type, f"{job.processor} {job.version}",
            f"[{STATUS_STYLE.get(job.status, '')}]{status}[/]", str(job.attempts),
            f"{job.run_seconds:.1f}s" if job.run_seconds is not None else "",
            printable(", ".join(job.refs[:4])), printable(note[:120]),
        )  # fmt: skip
    return table


def jobs(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option(help="Only the content of this case's exhibits.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, running, done, failed or skipped.")] = None,
    processor: Annotated[str | None, typer.Option(help="Only this processor's jobs.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 50,
    live: Annotated[bool, typer.Option("--live", help="Keep the table up to date until Ctrl-C.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until no job is pending or running, then show them.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Processing jobs: what ran on which content, how long it took, and why anything failed."""
    cli = state(ctx)
    service = cli.vault().processing
    principal = cli.principal()

    def fetch() -> list[JobView]:
        return service.list_jobs(principal, case=case, status=status, processor=processor, limit=limit)

    def busy(views: list[JobView]) -> bool:
        return any(v.status in ("pending", "running") for v in views)

    title = f"Processing jobs{' of ' + printable(case) if case else ''}"
    if wait:
        views = fetch()
        while busy(views):
            time.sleep(service.settings.poll_seconds)
            views = fetch()
    if live and not as_json:
        with contextlib.suppress(KeyboardInterrupt), Live(console=console, refresh_per_second=2) as screen:
            while True:
                views = fetch()
                screen.update(_jobs_table(views, f"{title} (live: Ctrl-C to leave)"))
                time.sleep(1.0)
        return
    views = fetch()
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    console.print(_jobs_table(views, title))


def processing(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Exhibit reference, e.g. JS/1.")],
    case: Annotated[str, typer.Option(help="Crime reference, URN or case id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What processing found out about one exhibit: jobs, facts and derivatives."""
    cli = state(ctx)
    view = cli.vault().processing.exhibit_processing_by_ref(cli.principal(), case, ref)
    if as_json:
        emit_json(view.as_dict())
        return
    console.print(f"{view.ref}  {view.mime_type}  SHA-256 {view.sha256}  state: {view.state}", markup=False)
    console.print(_jobs_table(view.jobs, f"Jobs on {view.ref}"))
    for name, facts in view.facts.items():
        shown = {k: v for k, v in facts.items() if not isinstance(v, dict | list) or k in ("gps", "streams")}
        console.print(f"[bold]{name}[/]: {printable(str(shown)[:600])}")
    table = Table("kind", "label", "type", "size", "SHA-256", "made by", title="Derivatives")
    for d in view.derivatives:
        table.add_row(
            d.kind, printable(d.label), d.mime_type, str(d.size), d.sha256, f"{d.processor} {d.version}"
        )
    console.print(table)
    if view.members:
        members = Table("#", "member", "SHA-256", title="Members")
        for m in view.members:
            members.add_row(str(m.position + 1), printable(m.member_path), m.sha256[:16])
        console.print(members)


def reprocess(
    ctx: typer.Context,
    processor: Annotated[
        list[str] | None,
        typer.Option("--processor", help="Processor to run again (repeatable; default all)."),
    ] = None,
    case: Annotated[str | None, typer.Option(help="Only the content of this case.")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Also run failed jobs again.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Plan jobs for new processor versions or parameters (old outputs are kept)."""
    cli = state(ctx)
    counts = cli.vault().processing.reprocess(cli.principal(), processors=processor, case=case, failed=failed)
    if as_json:
        emit_json(counts)
        return
    console.print(
        f"{counts['planned']} jobs planned, {counts['reopened']} failed jobs to run again", markup=False
    )


def _cut(
    ctx: typer.Context, ref: str, case: str, start: str, end: str | None, producer, description, as_json
):
    from exhibits.processing.cuts import parse_time

    cli = state(ctx)
    view = cli.vault().processing.cut(
        cli.principal(), case, ref, start=parse_time(start), end=parse_time(end) if end else None,
        producer=producer, description=description,
    )  # fmt: skip
    if as_json:
        emit_json(view.as_dict())
    else:
        console.print(f"Made {view.ref} from {ref.upper()} (SHA-256 {view.sha256})", markup=False)


def clip(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The video exhibit, e.g. JS/1.")],
    case: Annotated[str, typer.Option(help="Crime reference, URN or case id.")],
    start: Annotated[str, typer.Option(help="Start: seconds or HH:MM:SS.mmm.")],
    end: Annotated[str, typer.Option(help="End: seconds or HH:MM:SS.mmm.")],
    producer: Annotated[str | None, typer.Option(help="Who produces the clip (default: you).")] = None,
    description: Annotated[str | None, typer.Option(help="Description for the exhibit label.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Cut a clip from a video exhibit: a new exhibit recording its parent, times and tool."""
    _cut(ctx, ref, case, start, end, producer, description, as_json)


def still(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The video exhibit, e.g. JS/1.")],
    case: Annotated[str, typer.Option(help="Crime reference, URN or case id.")],
    at: Annotated[str, typer.Option("--at", "--start", help="Time of the frame: seconds or HH:MM:SS.mmm.")],
    producer: Annotated[str | None, typer.Option(help="Who produces the still (default: you).")] = None,
    description: Annotated[str | None, typer.Option(help="Description for the exhibit label.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Take a still (lossless PNG) from a video exhibit: a new exhibit recording its parent."""
    _cut(ctx, ref, case, at, None, producer, description, as_json)


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(jobs)
    app.command()(processing)
    app.command()(reprocess)
    app.command()(clip)
    app.command()(still)
