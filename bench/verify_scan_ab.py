"""Paired A/B of the log scan's CPU per event: two versions of `custody/replay.py`, one process.

Alternates the two versions (A first on even rounds, B first on odd) over the same
65,536-event chunks of a vault kept by `bench/verify.py --keep DIR`, and prints the median
CPU time per event of each and of their difference. Pairs run seconds apart, so other work
on a shared machine weighs on both alike; wall time is not measured.

    python bench/verify_scan_ab.py OLD/replay.py NEW/replay.py [--rounds 14] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

CHUNK = 65_536


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--rounds", type=int, default=14)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/custody-verify-vault"))
    args = parser.parse_args()
    versions = {"A": load(args.a, "replay_a"), "B": load(args.b, "replay_b")}
    url = f"sqlite:///{args.keep.resolve() / 'vault' / 'exhibits.db'}"
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    loads = []
    for round_ in range(args.rounds):
        start = (round_ % 14) * CHUNK
        for name in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
            before = time.process_time()
            chunk = versions[name].scan(url, start, start + CHUNK)
            cpu[name].append((time.process_time() - before) / CHUNK * 1e6)
            assert not chunk.problems, chunk.problems[:3]
        loads.append(os.getloadavg()[0])
    diff = [b - a for a, b in zip(cpu["A"], cpu["B"], strict=True)]
    print(
        f"A {statistics.median(cpu['A']):.3f}, B {statistics.median(cpu['B']):.3f} us CPU/event "
        f"(medians of {args.rounds}); B - A {statistics.median(diff):+.3f}, B less in "
        f"{sum(d < 0 for d in diff)} of {args.rounds}; load average {min(loads):.2f}-{max(loads):.2f}"
    )


if __name__ == "__main__":
    main()
