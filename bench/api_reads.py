"""Metadata reads: wrk against GET /api/v1/cases/{id}/exhibits (a page of 50, each request a
consultation event in the custody log) next to a reference endpoint that does the same token
check and one INSERT + commit, in the same run. Target: 50% or more of the reference's rate,
p99 under 50 ms.

    .venv/bin/python bench/api_reads.py                       # 4 connections, 20 s each
    .venv/bin/python bench/api_reads.py --duration 5          # quick check
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import make_vault, python, scratch, serving


def wrk(url: str, token: str, connections: int, duration: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency",
         "-H", f"Authorization: Bearer {token}", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed requests\n{out}")
    return rate, p99_ms


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--exhibits", type=int, default=60)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (scripts/system-packages test)")
    root = scratch()
    try:
        from sqlalchemy import text

        from exhibits.evidence.service import IngestRequest

        vault, officer, case, token = make_vault(root)
        for n in range(args.exhibits):
            vault.evidence.ingest_stream(
                officer, io.BytesIO(f"exhibit {n}".encode()), f"{n}.txt",
                IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
            )  # fmt: skip
        with vault.db.write_engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE bench_reference (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT)")
            )
        vault.close()
        env = {"EXHIBITS_VAULT": str(root / "vault")}
        command = [python(), "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "--factory",
                   "reference_app:make_app", "--no-access-log", "--log-level", "warning"]  # fmt: skip
        with serving(command, env) as base:
            page = f"{base}/api/v1/cases/{case.id}/exhibits?limit=50"
            ours = wrk(page, token, args.connections, args.duration)
            reference = wrk(f"{base}/bench/reference", token, args.connections, args.duration)
        print(f"wrk, {args.connections} connections, {args.duration} s each, one HTTP worker")
        print(
            f"  reference (token + INSERT + commit)  {reference[0]:8.1f} req/s   p99 {reference[1]:6.1f} ms"
        )
        print(
            f"  GET exhibits, page of 50             {ours[0]:8.1f} req/s   p99 {ours[1]:6.1f} ms"
            f"   {ours[0] / reference[0]:.0%} of the reference"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
