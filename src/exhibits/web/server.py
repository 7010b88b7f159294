"""Running the server: uvicorn with one HTTP worker, and the background workers that other
capabilities ask for through the ``exhibits_workers`` hook (the job worker of the processing
pipeline), started as child processes at lower CPU priority and stopped with the server."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
from typing import Any

log = logging.getLogger("exhibits.web.server")
WORKER_NICENESS = 10


def worker_commands(vault: Any) -> list[list[str]]:
    """Every background worker the installed capabilities want (``exhibits`` arguments)."""
    commands: list[list[str]] = []
    for found in vault.plugins.hook.exhibits_workers(vault=vault):
        for command in found or []:
            commands.append([str(part) for part in command])
    return commands


def _niced(niceness: int) -> list[str]:
    """The prefix that starts a program at lower priority: ``nice``, by exec. Not a
    ``preexec_fn``: Python code in a forked child of a multi-threaded process can deadlock
    on a lock another thread held at the fork."""
    nice = shutil.which("nice")
    return [nice, "-n", str(niceness)] if nice else []


def start_workers(
    vault: Any, niceness: int = WORKER_NICENESS, env: dict | None = None
) -> list[subprocess.Popen]:
    env = {**os.environ, **(env or {}), "EXHIBITS_VAULT": str(vault.settings.vault)}
    processes = []
    for command in worker_commands(vault):
        argv = [*_niced(niceness), sys.executable, "-m", "exhibits", *command]
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
        log.info("started worker %s (pid %d)", " ".join(command), process.pid)
        processes.append(process)
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def settle_heap() -> None:
    """Start-up is over: collect once, then keep every object alive now (modules, routes, the
    vault's engines) out of later collections. A full collection would otherwise walk them all,
    about 100 ms here, and every request in flight waits behind it (bench/api_reads.py)."""
    gc.collect()
    gc.freeze()


def run_server(vault: Any, *, host: str, port: int, workers: bool = True, log_level: str = "info") -> None:
    import uvicorn

    from exhibits.web.logs import configure_json_logging
    from exhibits.webui.site import create_site

    configure_json_logging(log_level.upper())
    app = create_site(vault, background=True)  # the API, plus the web pages at /
    children = start_workers(vault) if workers else []
    settle_heap()
    shown = f"[{host}]" if ":" in host else host
    print(
        f"Exhibits is serving {vault.settings.vault} at http://{shown}:{port}/ (API docs: /api/docs)",
        flush=True,
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            workers=1,
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            h11_max_incomplete_event_size=256 * 1024,
        )
    finally:
        stop_workers(children)
