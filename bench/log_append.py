"""Custody log appends, each durable before it is acknowledged, from concurrent appenders.

Eight threads each call `vault.write` in a loop, one consultation event per unit of work;
the single writer commits them in groups (one fsync per group). Target on SQLite: 5,000
events/s or more.

    python bench/log_append.py [--appenders 8] [--seconds 10] [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import threading
import time

from _common import cleanup, cores_note, new_vault, report, scratch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appenders", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from exhibits.vault import Vault

    work = scratch("append")
    try:
        with Vault.open(new_vault(work)) as vault:
            admin = vault.users.principal_for("ADMIN", via="cli")
            counts = [0] * args.appenders
            latencies: list[float] = []
            stop = time.perf_counter() + args.seconds

            def appender(i: int) -> None:
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    vault.consulted(admin, "exhibit.view")
                    latencies.append(time.perf_counter() - started)
                    counts[i] += 1

            threads = [threading.Thread(target=appender, args=(i,)) for i in range(args.appenders)]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            total = sum(counts)
            latencies.sort()
            with vault.reading() as session:
                checkpoints = len(vault.log.checkpoints(session))
        report(
            f"Durable custody appends, {args.appenders} concurrent appenders, SQLite ({cores_note()})",
            [
                ("events appended", f"{total:,} in {elapsed:.1f} s"),
                ("throughput", f"{total / elapsed:,.0f} events/s  (target >= 5,000)"),
                (
                    "latency p50 / p99",
                    f"{latencies[len(latencies) // 2] * 1e3:.1f} / {latencies[int(len(latencies) * 0.99)] * 1e3:.1f} ms",
                ),
                ("checkpoints kept", str(checkpoints)),
            ],
        )
    finally:
        cleanup(work)


if __name__ == "__main__":
    main()
