"""Helpers shared by the benchmarks: timing, fresh vaults, and a plain report format."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PASSWORD = "benchmark administrator password"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(runs: int, fn: Callable[[], object], before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        times.append(timed(fn))
    return statistics.median(times)


def run(*args: str, env: dict | None = None) -> None:
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)


def scratch(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=OUT))
    return path


def new_vault(where: Path, **options) -> Path:
    from exhibits.vault.init import VaultOptions, init_vault

    path = where / "vault"
    init_vault(path, VaultOptions(admin_password=PASSWORD, key_file=where / "key.pem", **options))
    return path


def exhibits_env(vault: Path) -> dict:
    return {**os.environ, "EXHIBITS_VAULT": str(vault)}


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def report(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print(f"\n{title}")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def installed_bytecode() -> None:
    """Compile Exhibits' modules to bytecode (``__pycache__``), as installing a wheel does and
    as an editable install's first run does: a timed command then starts as a user's does,
    even where ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it), which would
    otherwise compile every module from source on every run."""
    import compileall

    import exhibits

    compileall.compile_dir(Path(exhibits.__file__).parent, quiet=1)


def cores_note() -> str:
    return f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start"
