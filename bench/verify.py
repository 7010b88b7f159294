"""`exhibits verify` over a large vault: log recomputation rate and content re-hashing speed.

Builds a vault with many exhibits and events (default: 10,000 exhibits and 1,000,000
events, plus one large blob), then times, in the same run:
  - the log pass alone (target: 500,000 events/s or more);
  - re-hashing the large blob on one stream, next to `openssl dgst -sha256` on the same
    file (target: 90% or more of OpenSSL);
  - the whole verification with blobs hashed in parallel on both cores.

    python bench/verify.py [--exhibits 10000] [--events 1000000] [--big-gib 1] [--keep DIR]

With --keep DIR the vault is built in DIR (and kept) on the first run, and reused as it is
by later runs with the same DIR, so repeated measurements skip the build.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

from _common import cleanup, cores_note, median_of, new_vault, report, run, scratch, timed


def build(vault_path: Path, work: Path, exhibits: int, events: int, big_gib: float) -> None:
    from exhibits.custody.events import EventClass
    from exhibits.evidence.service import IngestRequest
    from exhibits.vault import Vault

    with Vault.open(vault_path) as vault:
        admin = vault.users.principal_for("ADMIN", via="cli")
        vault.evidence.create_case(admin, "BENCH/1", "Verification benchmark")
        case_id = vault.evidence.get_case(admin, "BENCH/1").id
        files = work / "files"
        files.mkdir()
        paths = []
        for i in range(exhibits):
            path = files / f"{i:06d}.bin"
            path.write_bytes(os.urandom(512) + i.to_bytes(4, "big"))
            paths.append(path)
        request = IngestRequest(case="BENCH/1", producer="PC 1 Bench Mark")
        chunks = [paths[i::4] for i in range(4)]
        threads = [
            threading.Thread(target=vault.evidence.ingest_paths, args=(admin, c, request)) for c in chunks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if big_gib:
            big = work / "big.bin"
            with big.open("wb") as handle:
                block = os.urandom(2**24)
                for _ in range(int(big_gib * 64)):
                    handle.write(block)
            vault.evidence.ingest_paths(admin, [big], request)
        with vault.reading() as session:
            have = vault.log.head(session).size
        batch = 20_000
        while have < events:
            count = min(batch, events - have)
            vault.write(
                lambda ctx, count=count: [
                    vault.record(ctx, admin, "exhibit.list", EventClass.CONSULTATION, case_id=case_id)
                    for _ in range(count)
                ]
            )
            have += count


def cpu_seconds() -> float:
    """User and system time of this process and of its finished children (the scan workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exhibits", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--big-gib", type=float, default=1.0)
    parser.add_argument("--keep", type=Path, help="build the vault here once, and reuse it later")
    args = parser.parse_args()
    from exhibits.vault import Vault
    from exhibits.vault.verify import verify_vault

    work = args.keep.resolve() if args.keep else scratch("verify")
    try:
        vault_path = work / "vault"
        started = time.perf_counter()
        if not (work / "built").exists():
            work.mkdir(parents=True, exist_ok=True)
            new_vault(work)
            build(vault_path, work, args.exhibits, args.events, args.big_gib)
            (work / "built").write_text(f"{time.perf_counter() - started:.0f}")
        built = float((work / "built").read_text())
        with Vault.open(vault_path) as vault:
            admin = vault.users.principal_for("ADMIN", via="cli")
            with vault.reading() as session:
                size = vault.log.head(session).size
            cpu_before = cpu_seconds()
            log_time = median_of(3, lambda: verify_vault(vault, admin, check_blobs=False))
            log_cpu = (cpu_seconds() - cpu_before) / 3
            rows = [
                ("vault built in", f"{built:.0f} s ({args.exhibits:,} exhibits, {size:,} events)"),
                (
                    "log recomputed",
                    f"{log_time:.2f} s = {size / log_time:,.0f} events/s  (target >= 500,000)",
                ),
                # CPU time is less disturbed by other work on a shared machine than wall time.
                ("  its CPU time, all processes", f"{log_cpu:.2f} s = {log_cpu / size * 1e6:.2f} us/event"),
            ]
            if args.big_gib:
                big = work / "big.bin"
                import hashlib

                sha = hashlib.sha256(big.read_bytes()).hexdigest()
                blob = vault.blobs.local_path(sha)
                assert blob
                run("cat", blob, "/dev/null")
                openssl = median_of(3, lambda: run("openssl", "dgst", "-sha256", blob))
                ours = median_of(3, lambda: vault.blobs.rehash(sha))
                nbytes = os.path.getsize(blob)
                rows += [
                    (
                        "openssl dgst -sha256 (one stream)",
                        f"{openssl:.2f} s = {nbytes / openssl / 1e9:.2f} GB/s",
                    ),
                    ("exhibits re-hash (one stream)", f"{ours:.2f} s = {nbytes / ours / 1e9:.2f} GB/s"),
                    ("ratio to OpenSSL", f"{openssl / ours:.0%}  (target >= 90%)"),
                ]
            whole = timed(lambda: verify_vault(vault, admin))
            rows.append(("whole verify (blobs on 2 threads)", f"{whole:.2f} s"))
        report(f"exhibits verify ({cores_note()})", rows)
    finally:
        if not args.keep:
            cleanup(work)


if __name__ == "__main__":
    main()
