"""Upload throughput over loopback: plain HTTP and tus (4 MiB chunks) into Exhibits, next to
curl uploading the same file to a minimal ASGI sink that writes to disk and fsyncs, in the
same run. Target: 70% or more of the sink.

    .venv/bin/python bench/api_upload.py --size-mib 1024      # the issue's 1 GiB
    .venv/bin/python bench/api_upload.py --size-mib 64        # quick check
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import make_vault, python, scratch, serving


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(4 * 2**20)
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
    return digest.hexdigest()


def curl(url: str, path: Path, headers: list[str]) -> float:
    args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-T", str(path)]
    for header in headers:
        args += ["-H", header]
    started = time.perf_counter()
    status = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - started
    if status not in ("200", "201"):
        raise RuntimeError(f"{url} answered {status}")
    return elapsed


def tus_upload(base: str, token: str, path: Path, case_id: str, n: int) -> float:
    from tusclient import client

    started = time.perf_counter()
    tus = client.TusClient(f"{base}/api/v1/uploads", headers={"Authorization": f"Bearer {token}"})
    uploader = tus.uploader(
        str(path), chunk_size=4 * 2**20,
        metadata={"filename": f"tus-{n}.bin", "case": case_id, "producer": "PC 1234 Jane Smith"},
    )  # fmt: skip
    uploader.upload()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed (scripts/system-packages test)")
    root = scratch()
    try:
        size = args.size_mib * 2**20
        vault, _officer, case, token = make_vault(root)
        vault.settings.model_extra.setdefault("uploads", {})
        vault.close()
        source = root / "upload.bin"
        make_file(source, size)
        sink_dir = root / "sink"
        sink_dir.mkdir()
        auth = f"Authorization: Bearer {token}"
        results: dict[str, list[float]] = {
            "sink (curl)": [],
            "plain HTTP (curl)": [],
            "tus 4 MiB (tuspy)": [],
        }
        env = {"EXHIBITS_VAULT": str(root / "vault"), "SINK_DIR": str(sink_dir)}
        sink_cmd = [python(), "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "sink:app",
                    "--no-access-log", "--log-level", "warning"]  # fmt: skip
        with (
            serving(sink_cmd, env, health="/") as sink,
            serving(
                [python(), "-m", "exhibits", "serve", "--no-workers", "--log-level", "warning"], env
            ) as api,
        ):
            for n in range(args.runs):
                results["sink (curl)"].append(
                    curl(f"{sink}/", source, ["Content-Type: application/octet-stream"])
                )
                results["plain HTTP (curl)"].append(
                    curl(
                        f"{api}/api/v1/cases/{case.id}/exhibits?producer=PC%201234%20Jane%20Smith&filename=p{n}.bin",
                        source,
                        [auth, "Content-Type: application/octet-stream"],
                    )
                )
                results["tus 4 MiB (tuspy)"].append(tus_upload(api, token, source, case.id, n))
        sink_rate = size / statistics.median(results["sink (curl)"]) / 1e6
        print(f"upload of {args.size_mib} MiB over loopback, median of {args.runs} (MB/s = 10^6 bytes/s)")
        for name, times in results.items():
            rate = size / statistics.median(times) / 1e6
            print(f"  {name:<20} {rate:8.1f} MB/s   {rate / sink_rate:6.0%} of the sink")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
