"""Bundle export and verification against reference tools, in one run on the same files.

Export: ``exhibits bundle`` (through the service) of a case holding --size-gib of media,
next to ``cp -r`` + ``sync`` of the same files plus ``openssl dgst -sha256`` of them
(target: within 1.3x of the two together). Verification: our verifier (2 threads) next to
the Library of Congress ``bagit.py --validate --processes 2`` on the same bag (target:
faster than bagit.py).

    .venv/bin/python bench/casefile/bundle_bench.py --size-gib 4
    .venv/bin/python bench/casefile/bundle_bench.py --size-gib 0.5   # quick check

Page cache is not dropped (the machine is shared); each tool reads files the previous
step has just read or written, so all runs see a warm cache. Runs are sequential.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=float, default=4.0)
    parser.add_argument("--file-mib", type=int, default=256)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    from exhibits.casefile.bundle.verify import verify_bag
    from exhibits.evidence.service import IngestRequest
    from exhibits.vault import Vault
    from exhibits.vault.init import VaultOptions, init_vault

    work = Path(tempfile.mkdtemp(prefix="exhibits-bench-", dir=args.workdir))
    try:
        vault_dir = work / "vault"
        init_vault(
            vault_dir, VaultOptions(admin_password="benchmark password 1234", key_file=work / "key.pem")
        )
        total = int(args.size_gib * 2**30)
        count = max(1, total // (args.file_mib * 2**20))
        media = work / "media"
        media.mkdir()
        block = os.urandom(2**20)
        for i in range(count):
            with open(media / f"clip{i:03d}.mp4", "wb") as handle:
                for j in range(args.file_mib):
                    handle.write(block[:-8] + (i * 100000 + j).to_bytes(8, "big"))
        with Vault.open(vault_dir) as vault:
            admin = vault.users.principal_for("ADMIN", via="cli")
            vault.evidence.create_case(admin, "BENCH/1", "Benchmark case")
            request = IngestRequest(case="BENCH/1", producer="PC 1 Bench Mark", source="cctv")
            vault.evidence.ingest_paths(admin, sorted(media.iterdir()), request)
            _ = vault.casefile.bundles  # import fpdf and friends before timing: a one-off per process
            stored = [p for p in (vault_dir / "blobs").rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in stored)
            print(f"case: {count} files, {size / 2**30:.2f} GiB of media")

            def reference_copy() -> None:
                subprocess.run(["cp", "-r", str(media), str(work / "copy")], check=True)
                subprocess.run(["sync"], check=True)

            def reference_hash() -> None:
                subprocess.run(
                    ["openssl", "dgst", "-sha256", *map(str, sorted(media.iterdir()))],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )

            copy_s = timed(reference_copy)
            hash_s = timed(reference_hash)
            out = work / "bundle"
            ours_s = timed(lambda: vault.casefile.bundles.export(admin, "BENCH/1", "cps", out))
            reference = copy_s + hash_s
            print(
                f"export: exhibits bundle {ours_s:.2f} s; cp -r + sync {copy_s:.2f} s"
                f" + openssl dgst {hash_s:.2f} s"
                f" = {reference:.2f} s; ratio {ours_s / reference:.2f} (target <= 1.3)"
            )
            key = vault.settings.log_key
        bagit_tool = Path(sys.executable).with_name("bagit.py")
        bagit_s = timed(
            lambda: subprocess.run(
                [str(bagit_tool), "--validate", "--processes", "2", str(out)], check=True, capture_output=True
            )
        )
        result = {}
        verify_s = timed(lambda: result.setdefault("r", verify_bag(out, [key], workers=2)))
        assert result["r"].status == 0, result["r"].text()
        print(
            f"verify: exhibits verify-bundle {verify_s:.2f} s;"
            f" bagit.py --validate --processes 2 {bagit_s:.2f} s;"
            f" ratio {verify_s / bagit_s:.2f} (target < 1.0)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
