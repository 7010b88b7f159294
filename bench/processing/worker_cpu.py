"""The embedded worker's own CPU per job: the framework's cost, apart from the processors.

Builds a vault with N small images once (kept under --keep), copies it for each run, and
runs an EmbeddedWorker in this process until idle. Reports the worker process's CPU time
(its threads: slots, recorder, writer), and the runner processes' CPU per job, beside the
pipeline's wall-clock figures. On a shared machine the CPU per job moves far less with the
load than jobs/s or overhead do. ``--profile`` writes per-thread CPU profiles (pstats).

    python bench/processing/worker_cpu.py [--images 200] [--workers 2] [--profile out.pstats]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import pipeline  # the same images, vault and totals as the pipeline bench


def prepared(keep: Path, images: int, size: tuple[int, int]) -> Path:
    """A vault with the images ingested and their jobs planned, made once."""
    base = keep / f"{images}-{size[0]}x{size[1]}"
    if not (base / "vault").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        paths = pipeline.make_images(base / "images", images, size)
        pipeline.new_vault(base, postgres=False)
        pipeline.ingest(base / "vault", paths)
    return base


def profiled(profiles: list[cProfile.Profile], fn):
    def run(*args, **kwargs):
        profile = cProfile.Profile(time.thread_time)  # CPU of this thread, not wall time
        profiles.append(profile)
        profile.enable()
        try:
            return fn(*args, **kwargs)
        finally:
            profile.disable()

    return run


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", default="96x72")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--keep", type=Path, default=Path(tempfile.gettempdir()) / "exhibits-bench-worker-cpu"
    )
    parser.add_argument("--profile", type=Path, help="write per-thread CPU profiles here (pstats)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    base = prepared(args.keep, args.images, (width, height))
    run = base.parent / "run"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(base / "vault", run / "vault")
    os.environ["EXHIBITS_PROCESSING__POLL_SECONDS"] = "0.2"
    from exhibits.db.writer import Writer
    from exhibits.processing.worker import EmbeddedWorker
    from exhibits.vault import Vault

    profiles: list[cProfile.Profile] = []
    if args.profile:
        for cls, name in (
            (EmbeddedWorker, "_slot"),
            (EmbeddedWorker, "_record_loop"),
            (EmbeddedWorker, "_store_loop"),
            (Writer, "_loop"),
        ):
            setattr(cls, name, profiled(profiles, getattr(cls, name)))
    with Vault.open(run / "vault") as vault:
        vault.processing.registry  # noqa: B018  (loaded before the clock starts)
        cpu, started, children = time.process_time(), time.perf_counter(), _children_cpu()
        jobs = EmbeddedWorker(vault, concurrency=args.workers, until_idle=True).run()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        children = _children_cpu() - children  # the runners, once they have exited
    _, busy, states = pipeline.totals(run / "vault")
    shutil.rmtree(run, ignore_errors=True)
    print(
        f"worker CPU: {args.images} {args.size} JPEGs, {jobs} jobs, {args.workers} slots, SQLite: "
        f"{cpu / jobs * 1000:.2f} ms CPU/job in the worker process, {children / jobs * 1000:.2f} in "
        f"the runners (processor time {busy / jobs * 1000:.2f} ms/job); wall {wall:.1f} s, "
        f"{jobs / wall:.1f} jobs/s, overhead {1 - busy / (wall * args.workers):.1%}, {states}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if profiles:
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.dump_stats(args.profile)


if __name__ == "__main__":
    main()
