"""Shared helpers for the API benchmarks: a throwaway vault, a token, servers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx

PASSWORD = "benchmark password 2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_vault(root: Path):
    from exhibits.vault import Vault
    from exhibits.vault.init import VaultOptions, init_vault

    path = root / "vault"
    init_vault(path, VaultOptions(admin_password=PASSWORD, key_file=root / "key.pem", force_code="42"))
    vault = Vault.open(path)
    admin = vault.users.principal_for("ADMIN", via="cli")
    vault.users.create_user(admin, collar="1234", name="Jane Smith", roles=["officer"], password=PASSWORD)
    officer = vault.users.principal_for("1234", via="cli")
    case = vault.evidence.create_case(officer, "42/1/26", "Benchmark case")
    _, token = vault.access.tokens.create(officer, name="bench", expires_in=timedelta(days=1))
    return vault, officer, case, token


@contextmanager
def serving(args: list[str], env: dict[str, str] | None = None, health: str = "/api/health") -> Iterator[str]:
    """A server process on a free loopback port (stopped afterwards)."""
    port = free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)], env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + health, timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server {args} did not start") from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def python() -> str:
    return sys.executable


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="exhibits-bench-", dir=os.environ.get("BENCH_TMP")))
