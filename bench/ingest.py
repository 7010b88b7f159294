"""Ingest of one large file through the CLI, next to `openssl dgst -sha256` and `cp` + `sync`.

Each tool handles the same file in the same run with the same (warm) page cache; the figure
is the median of three runs. Exhibits' bytecode is compiled first, as an installed package's
is. Target: ingest wall time at most 1.2x the slower reference.

    python bench/ingest.py [--size-gib 2]
"""

from __future__ import annotations

import argparse
import os
import sys

from _common import (
    cleanup,
    cores_note,
    exhibits_env,
    installed_bytecode,
    median_of,
    new_vault,
    report,
    run,
    scratch,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = scratch("ingest")
    try:
        source = work / "evidence.bin"
        size = int(args.size_gib * 2**30)
        with source.open("wb") as handle:
            block = os.urandom(2**24)
            for _ in range(size // len(block)):
                handle.write(block[::-1] if handle.tell() % 3 else block)
        run("cat", str(source), "/dev/null")  # warm the page cache for every contender alike
        installed_bytecode()  # and start the CLI with its bytecode compiled, as installed
        target = work / "copy.bin"

        openssl = median_of(args.runs, lambda: run("openssl", "dgst", "-sha256", str(source)))
        copy = median_of(
            args.runs,
            lambda: (run("cp", str(source), str(target)), run("sync")),
            before=lambda: target.unlink(missing_ok=True),
        )
        vaults: list = []

        def fresh_vault() -> None:
            if vaults:
                cleanup(vaults.pop().parent)
            place = work / f"v{len(os.listdir(work))}"
            place.mkdir()
            vaults.append(new_vault(place))

        def ingest() -> None:
            run(
                sys.executable,
                "-m",
                "exhibits",
                "add",
                str(source),
                "--unassigned",
                env=exhibits_env(vaults[-1]),
            )

        ours = median_of(args.runs, ingest, before=fresh_vault)
        startup = median_of(args.runs, lambda: run(sys.executable, "-m", "exhibits", "--help"))

        def in_process() -> None:
            from exhibits.evidence.service import IngestRequest
            from exhibits.vault import Vault

            with Vault.open(vaults[-1]) as vault:
                admin = vault.users.principal_for("ADMIN", via="cli")
                vault.evidence.ingest_paths(admin, [source], IngestRequest())

        service = median_of(args.runs, in_process, before=fresh_vault)
        slower = max(openssl, copy)
        report(
            f"Ingest of a {args.size_gib:g} GiB file ({cores_note()})",
            [
                ("openssl dgst -sha256", f"{openssl:.2f} s  ({size / openssl / 1e9:.2f} GB/s)"),
                ("cp + sync", f"{copy:.2f} s  ({size / copy / 1e9:.2f} GB/s)"),
                ("exhibits add (CLI, whole command)", f"{ours:.2f} s  ({size / ours / 1e9:.2f} GB/s)"),
                ("ratio to the slower reference", f"{ours / slower:.2f}x  (target <= 1.2x)"),
                ("  of which the CLI's start-up", f"{startup:.2f} s  (exhibits --help: imports, plugins)"),
                ("ingest service, in process", f"{service:.2f} s  ({size / service / 1e9:.2f} GB/s)"),
                ("ratio to the slower reference", f"{service / slower:.2f}x"),
            ],
        )
    finally:
        cleanup(work)


if __name__ == "__main__":
    main()
