"""Upload throughput over loopback: plain HTTP and tus (4 MiB chunks) into Exhibits, next to
curl uploading the same file to a minimal ASGI sink that writes to disk and fsyncs, in the
same run. Target: 70% or more of the sink.

Beside each rate: the CPU seconds per GiB that the server process (user + system, from
/proc) and the client used for it, and the load average before and after, since on a shared
2-core machine the wall-clock rate moves with what else runs.

tus is measured with two clients: tuspy (Python, itself a good part of a core on a 2-core
machine) and curl sending the same PATCH requests one after another on one connection
(creation through httpx), the lighter client and so the fairer measure of the server.

    .venv/bin/python bench/api_upload.py --size-mib 1024      # the issue's 1 GiB
    .venv/bin/python bench/api_upload.py --size-mib 64        # quick check
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import make_vault, python, scratch, serving

CHUNK = 4 * 2**20


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    """CPU seconds of this process (tuspy runs here) and its finished children (curl)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def server_pid(base: str) -> int:
    """The process serving ``base`` (started by ``serving`` with ``--port``)."""
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--port" in args and args[args.index(b"--port") + 1 :][:1] == [port.encode()]:
                return int(entry.name)
    raise RuntimeError(f"no process serves {base}")


class Measured:
    """Wall time, server CPU and client CPU of each upload of one kind."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.server: list[float] = []
        self.client: list[float] = []

    def run(self, pid: int, upload: Callable[..., float], *args: Any) -> None:
        server, client = process_cpu(pid), client_cpu()
        self.times.append(upload(*args))
        self.server.append(process_cpu(pid) - server)
        self.client.append(client_cpu() - client)


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


def split(path: Path, directory: Path) -> list[tuple[int, Path]]:
    """The file as 4 MiB pieces, each with its offset (curl sends a whole file per request)."""
    directory.mkdir()
    pieces = []
    with path.open("rb") as source:
        while data := source.read(CHUNK):
            piece = directory / f"{len(pieces):05d}"
            piece.write_bytes(data)
            pieces.append((len(pieces) * CHUNK, piece))
    return pieces


def patch_config(location: str, auth: dict[str, str], pieces: list[tuple[int, Path]]) -> str:
    """A curl config: one PATCH per piece, ``next`` between them (one kept-alive connection)."""
    shown = "%{http_code} %header{upload-offset} %header{exhibits-sha256}\\n"
    requests = []
    for offset, piece in pieces:
        lines = [f'url = "{location}"', "request = PATCH", f'upload-file = "{piece}"',
                 'output = "/dev/null"', f'write-out = "{shown}"',
                 *(f'header = "{k}: {v}"' for k, v in auth.items()), f'header = "Upload-Offset: {offset}"',
                 'header = "Content-Type: application/offset+octet-stream"']  # fmt: skip
        requests.append("\n".join(lines))
    return "\nnext\n".join(requests) + "\n"


def tus_curl(
    base: str, token: str, pieces: list[tuple[int, Path]], size: int, case_id: str, n: int, sha256: str
) -> float:
    """tus with curl: create the upload (httpx), then curl PATCHes every piece in turn; every
    answer is checked afterwards (204, and the last names the file's SHA-256)."""
    import httpx

    metadata = {"filename": f"curl-{n}.bin", "case": case_id, "producer": "PC 1234 Jane Smith"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    config = pieces[0][1].parent / f"patches-{n}.curl"
    started = time.perf_counter()
    created = httpx.post(
        f"{base}/api/v1/uploads", headers={**auth, "Upload-Length": str(size), "Upload-Metadata": encoded}
    )
    config.write_text(patch_config(created.headers["location"], auth, pieces))
    answers = subprocess.run(["curl", "-sS", "-K", str(config)], check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    lines = answers.stdout.splitlines()
    if any(not line.startswith("204 ") for line in lines) or lines[-1].split() != ["204", str(size), sha256]:
        raise RuntimeError(f"tus with curl: unexpected answers {lines[:2]} ... {lines[-2:]}")
    return elapsed


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
        sha256 = make_file(source, size)
        pieces = split(source, root / "pieces")
        sink_dir = root / "sink"
        sink_dir.mkdir()
        auth, octets = f"Authorization: Bearer {token}", "Content-Type: application/octet-stream"
        results = {
            name: Measured()
            for name in ("sink (curl)", "plain HTTP (curl)", "tus 4 MiB (tuspy)", "tus 4 MiB (curl)")
        }
        env = {"EXHIBITS_VAULT": str(root / "vault"), "SINK_DIR": str(sink_dir)}
        sink_cmd = [python(), "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "sink:app",
                    "--no-access-log", "--log-level", "warning"]  # fmt: skip
        loads = [os.getloadavg()]
        with (
            serving(sink_cmd, env, health="/") as sink,
            serving(
                [python(), "-m", "exhibits", "serve", "--no-workers", "--log-level", "warning"], env
            ) as api,
        ):
            sink_pid, api_pid = server_pid(sink), server_pid(api)
            plain_url = (
                f"{api}/api/v1/cases/{case.id}/exhibits?producer=PC%201234%20Jane%20Smith&filename=p{{n}}.bin"
            )
            for n in range(args.runs):
                results["sink (curl)"].run(sink_pid, curl, f"{sink}/", source, [octets])
                results["plain HTTP (curl)"].run(api_pid, curl, plain_url.format(n=n), source, [auth, octets])
                results["tus 4 MiB (tuspy)"].run(api_pid, tus_upload, api, token, source, case.id, n)
                results["tus 4 MiB (curl)"].run(
                    api_pid, tus_curl, api, token, pieces, size, case.id, n, sha256
                )
        loads.append(os.getloadavg())
        sink_rate = size / statistics.median(results["sink (curl)"].times) / 1e6
        gib = size / 2**30
        print(f"upload of {args.size_mib} MiB over loopback, median of {args.runs} (MB/s = 10^6 bytes/s)")
        print(
            f"  load average before {' '.join(f'{v:.2f}' for v in loads[0])}, after {' '.join(f'{v:.2f}' for v in loads[1])}"
        )
        for name, measured in results.items():
            rate = size / statistics.median(measured.times) / 1e6
            print(
                f"  {name:<20} {rate:8.1f} MB/s   {rate / sink_rate:6.0%} of the sink"
                f"   server CPU {statistics.median(measured.server) / gib:5.2f} s/GiB"
                f"   client CPU {statistics.median(measured.client) / gib:5.2f} s/GiB"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
