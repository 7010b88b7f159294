"""Pipeline overhead and throughput: many small images ingested, then fully processed.

Reports jobs/s and overhead = 1 - (sum of processor times) / (wall time x workers), for
the embedded worker and for Celery mode with two worker processes on a broker, on the
same workload and the same kind of database. Target: overhead under 10%.

    python bench/processing/pipeline.py [--images 2000] [--workers 2] [--mode both]
        [--broker amqp://guest:guest@127.0.0.1:5672//] [--postgres]

Processing time is measured inside the runner (the processor's own run); everything else
(claiming, moving files into the vault, recording and signing the custody log, starting
work) counts as overhead.

The images are 320x240 JPEGs by default: QVGA, the smallest picture evidence arrives as
(old CCTV and phone cameras; messaging apps send 1280x960). ``--size 96x72`` gives
thumbnails, whose processors take about 4.5 ms a job: there the worker's fixed cost a job
(claim, store, record, custody event, some 2.8 ms of CPU on these two cores) dominates.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

PASSWORD = "benchmark administrator password"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def make_images(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True)
    rng = random.Random(413)
    paths = []
    for number in range(count):
        image = Image.effect_noise(size, 40 + number % 50).convert("RGB")
        image.putpixel((0, 0), (rng.randrange(256), rng.randrange(256), number % 256))  # all distinct
        path = folder / f"IMG_{number:05d}.jpg"
        image.save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def pg(sql: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(
        PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.exec_driver_sql(sql)
    engine.dispose()


def new_vault(where: Path, postgres: bool) -> tuple[Path, str | None]:
    from exhibits.vault.init import VaultOptions, init_vault

    options = VaultOptions(admin_password=PASSWORD, key_file=where / "key.pem")
    database = None
    if postgres:
        database = f"exhibits_bench_{uuid.uuid4().hex[:8]}"
        pg(f'CREATE DATABASE "{database}"')
        options.database_url = options.database_admin_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    path = where / "vault"
    init_vault(path, options)
    return path, database


def ingest(vault_path: Path, images: list[Path]) -> float:
    from exhibits.evidence.service import IngestRequest
    from exhibits.vault import Vault

    started = time.perf_counter()
    with Vault.open(vault_path) as vault:
        admin = vault.users.principal_for("ADMIN", via="cli")
        vault.evidence.ingest_paths(admin, images, IngestRequest(device_id="BENCH-CAM"))
    return time.perf_counter() - started


def totals(vault_path: Path) -> tuple[int, float, dict[str, int]]:
    from exhibits.processing.models import Job
    from exhibits.vault import Vault

    with Vault.open(vault_path) as vault, vault.reading() as session:
        count = session.scalar(select(func.count()).select_from(Job)) or 0
        busy = session.scalar(select(func.sum(Job.run_seconds))) or 0.0
        states = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    return count, float(busy), {str(k): int(v) for k, v in states.items()}


def unfinished(vault_path: Path) -> int:
    _, _, states = totals(vault_path)
    return states.get("pending", 0) + states.get("running", 0)


def environment(vault_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXHIBITS_PROCESSING__")}
    return {**env, "EXHIBITS_VAULT": str(vault_path), **extra}


def run_embedded(vault_path: Path, workers: int) -> float:
    env = environment(vault_path, {"EXHIBITS_PROCESSING__POLL_SECONDS": "0.2"})
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "exhibits", "worker", "--until-idle", "--concurrency", str(workers)],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def run_celery(vault_path: Path, processes: int, broker: str) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    env = environment(
        vault_path,
        {"EXHIBITS_PROCESSING__MODE": "celery", "EXHIBITS_PROCESSING__BROKER_URL": broker,
         "EXHIBITS_PROCESSING__QUEUE_PREFIX": prefix},
    )  # fmt: skip
    log = vault_path.parent / "celery.log"
    workers = []
    with log.open("w") as out:
        for _ in range(processes):  # two worker processes, one job at a time each
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "exhibits", "worker", "--mode", "celery", "--concurrency", "1"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            from exhibits.vault import Vault

            # The jobs were planned at ingest; publish them now that the workers exist.
            os.environ.update({k: v for k, v in env.items() if k.startswith("EXHIBITS_PROCESSING__")})
            with Vault.open(vault_path) as vault:
                while log.read_text().count(" ready.") < processes:
                    time.sleep(0.2)
                started = time.perf_counter()
                from exhibits.processing.dispatch import Ticket
                from exhibits.processing.models import Job, JobStatus

                with vault.reading() as session:
                    rows = session.execute(
                        select(Job.id, Job.processor, Job.queue).where(
                            Job.status == JobStatus.PENDING, Job.ready_at.is_not(None)
                        )
                    ).all()
                vault.processing.dispatcher.publish([Ticket(*row) for row in rows])
                while unfinished(vault_path):
                    time.sleep(0.5)
                took = time.perf_counter() - started
                vault.processing.dispatcher.close()
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(60)
            for key in [k for k in os.environ if k.startswith("EXHIBITS_PROCESSING__")]:
                del os.environ[key]
    return took


def measure(mode: str, args: argparse.Namespace, images: list[Path], root: Path) -> dict:
    where = root / mode
    where.mkdir()
    vault_path, database = new_vault(where, args.postgres)
    try:
        if mode == "celery":  # jobs are planned at ingest but only published once workers are up
            os.environ["EXHIBITS_PROCESSING__MODE"] = "embedded"
        ingest_s = ingest(vault_path, images)
        os.environ.pop("EXHIBITS_PROCESSING__MODE", None)
        if mode == "embedded":
            wall = run_embedded(vault_path, args.workers)
            workers = args.workers
        else:
            wall = run_celery(vault_path, 2, args.broker)
            workers = 2
        count, busy, states = totals(vault_path)
        return {
            "mode": mode, "ingest_s": ingest_s, "wall_s": wall, "jobs": count, "busy_s": busy,
            "workers": workers, "states": states,
        }  # fmt: skip
    finally:
        if database:
            pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="embedded worker slots")
    parser.add_argument(
        "--size", default="320x240", help="image size, e.g. 96x72 for thumbnails, 4032x3024 for phone photos"
    )
    parser.add_argument("--mode", choices=["embedded", "celery", "both"], default="both")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL on 127.0.0.1 instead of SQLite")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        images = make_images(root / "images", args.images, (width, height))
        modes = ["embedded", "celery"] if args.mode == "both" else [args.mode]
        results = [measure(mode, args, images, root) for mode in modes]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"pipeline: {args.images} {args.size} JPEGs (every processor that applies to each), {database}, "
        f"{os.cpu_count()} cores"
    )
    for r in results:
        overhead = 1 - r["busy_s"] / (r["wall_s"] * r["workers"])
        print(
            f"  {r['mode']:9} workers={r['workers']}  ingest {r['ingest_s']:6.1f} s  "
            f"processing {r['wall_s']:6.1f} s  {r['jobs'] / r['wall_s']:6.1f} jobs/s  "
            f"processor time {r['busy_s']:6.1f} s  overhead {overhead:6.1%}  {r['states']}"
        )
    if len(results) == 2:
        print(f"  celery / embedded throughput: {results[0]['wall_s'] / results[1]['wall_s']:.2f}")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} (shared machine: figures are indicative)")


if __name__ == "__main__":
    main()
