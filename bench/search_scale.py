"""Search over many transcript segments: our ranked keyword search next to raw FTS5 bm25.

    .venv/bin/python bench/search_scale.py --segments 1000000     # the issue's scale
    .venv/bin/python bench/search_scale.py --segments 100000      # quick

Builds a real vault (SQLite), 20 cases of 10 exhibits each, and fills it with segments of
8-24 words drawn Zipf(1.1) from /usr/share/dict/words when present (else a generated
vocabulary), some with registrations and postcodes. Segments go in through the same
index code the pipeline uses (normalisation, FTS5 triggers, vectors), in units of work of
5,000 segments, with the champion lists of frequent words built whenever they fall due (as
the idle worker builds them); the indexing rate is segments/s for all that. Then 1- to 3-word queries
(words drawn by corpus frequency) run through SearchService's keyword backend for a user
who may see every case (the worst case for visibility joins), next to the raw query
``SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT 20`` on the same
database in the same run: p50/p95 latency and the top-20 overlap. Hybrid search (keyword +
semantic, fused) is timed separately on a smaller number of queries.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def vocabulary(rng: random.Random) -> list[str]:
    words_file = Path("/usr/share/dict/words")
    if words_file.is_file():
        words = sorted(
            {w.strip().lower() for w in words_file.read_text(errors="ignore").split() if w.isalpha()}
        )
        return words[:50_000]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(50_000)})


def build(args, folder: Path, rng: random.Random, words: list[str], weights: list[float], plates: list[str]):
    """A vault of ``args.cases`` cases of 10 exhibits, and ``args.segments`` segments indexed."""
    from exhibits.analysis.models import AnalysisResult
    from exhibits.evidence.service import IngestRequest
    from exhibits.ids import new_id
    from exhibits.search import index
    from exhibits.vault import Vault
    from exhibits.vault.init import VaultOptions, init_vault

    path = folder / "vault"
    init_vault(path, VaultOptions(admin_password="benchmark password 123", key_file=folder / "k.pem"))
    vault = Vault.open(path)
    admin = vault.users.principal_for("ADMIN", via="cli")
    shas = []
    started = time.perf_counter()
    for case_number in range(args.cases):
        ref = f"BENCH/{case_number:04d}/26"
        vault.evidence.create_case(admin, ref, f"Benchmark case {case_number}")
        for exhibit_number in range(10):
            item = folder / f"e{case_number}-{exhibit_number}.bin"
            item.write_bytes(f"exhibit {case_number} {exhibit_number}".encode())
            (outcome,) = vault.evidence.ingest_paths(
                admin, [item], IngestRequest(case=ref, producer="PC 1 Bench Mark", source="bwv")
            )
            shas.append(outcome.sha256)
    print(f"vault: {args.cases} cases, {len(shas)} exhibits in {time.perf_counter() - started:.1f} s")
    per_exhibit = args.segments // len(shas)
    batch = 5000
    indexed = 0
    index_seconds = 0.0
    pending: list[tuple[str, list[dict]]] = []

    def flush() -> None:
        nonlocal index_seconds, pending
        work = pending
        pending = []

        def unit(ctx) -> None:
            for sha, pieces in work:
                row = AnalysisResult(
                    id=new_id(),
                    sha256=sha,
                    processor="transcription",
                    version="bench",
                    params_hash=new_id()[:16],
                    params={},
                    facts={},
                    recorded_at=vault.now(),
                )
                ctx.session.add(row)
                ctx.session.flush()
                index.replace_docs(
                    ctx.session,
                    sha256=sha,
                    layer="transcript",
                    origin=row.id,
                    pieces=pieces,
                    embed=not args.no_vectors,
                )

        t = time.perf_counter()
        vault.write(unit)
        vault.search.optimise()  # as the idle worker does: champion lists when they are due
        index_seconds += time.perf_counter() - t

    for number, sha in enumerate(shas):
        pieces = []
        for segment in range(per_exhibit):
            text = " ".join(rng.choices(words, weights, k=rng.randint(8, 24)))
            if rng.random() < 0.01:
                text += " vehicle " + rng.choice(plates)
            pieces.append(
                {
                    "position": segment,
                    "text": text,
                    "locator": {"segment": segment, "start": segment * 4.0, "end": segment * 4.0 + 3.5},
                }
            )
        pending.append((sha, pieces))
        indexed += len(pieces)
        if sum(len(p) for _, p in pending) >= batch or number == len(shas) - 1:
            flush()
    print(
        f"indexing: {indexed:,} segments in {index_seconds:.1f} s = "
        f"{indexed / index_seconds:,.0f} segments/s"
        f" ({'with' if not args.no_vectors else 'without'} vectors, in units of work of ~{batch},"
        " champion lists built as they fall due)"
    )
    raw = sqlite3.connect(path / "exhibits.db")
    raw.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    raw.commit()
    raw.close()
    return vault, admin


def upgrade(path: Path) -> None:
    from exhibits.config import load_settings
    from exhibits.db import migrate

    settings = load_settings(path)
    migrate.upgrade(settings.database_admin_url, settings.database_url)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--cases", type=int, default=20, help="cases of 10 exhibits each")
    parser.add_argument("--hybrid-queries", type=int, default=30)
    parser.add_argument("--no-vectors", action="store_true", help="skip embeddings (keyword only)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the vault in this folder and keep it; when it is already there, reuse it (no indexing)",
    )
    args = parser.parse_args()
    os.environ["EXHIBITS_ADMIN_PASSWORD"] = "benchmark password 123"
    from sqlalchemy import select

    from exhibits.evidence.models import Case
    from exhibits.search.backends import Scope
    from exhibits.search.normalise import query_terms
    from exhibits.search.service import Filters
    from exhibits.vault import Vault

    rng = random.Random(20261122)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(words))]
    plate_rng = random.Random(7)
    plates = [
        f"{a}{b}{n:02d} {c}{d}{e}"
        for a, b, c, d, e, n in (
            [*plate_rng.sample("ABCDEFGHJKLMNOPRSTUVWXY", 5), plate_rng.randint(2, 75)] for _ in range(2000)
        )
    ]
    with contextlib.ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        path = folder / "vault"
        if (path / "exhibits.db").is_file():
            print(f"reusing the vault in {path} (no indexing)")
            vault = Vault.open(path)
            admin = vault.users.principal_for("ADMIN", via="cli")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            vault, admin = build(args, folder, rng, words, weights, plates)
        db = path / "exhibits.db"
        upgrade(path)  # a kept vault may predate the champion lists' migration
        started = time.perf_counter()
        built = vault.search.optimise()
        if built:
            print(
                f"champion lists: {built['frequent_tokens']:,} frequent words over {built['docs']:,} docs "
                f"({built['tokenised']:,} tokenised first) in {time.perf_counter() - started:.1f} s"
            )
        raw = sqlite3.connect(db)
        print(f"database: {db.stat().st_size / 2**20:,.0f} MiB")
        query_rng = random.Random(11)  # the same queries whether the vault is new or kept
        queries = []
        for _ in range(args.queries):
            k = query_rng.randint(1, 3)
            if query_rng.random() < 0.05:
                queries.append(
                    query_rng.choice(plates).replace(" ", "")
                    if query_rng.random() < 0.5
                    else query_rng.choice(plates)
                )
            else:
                queries.append(" ".join(query_rng.choices(words[:5000], weights[:5000], k=k)))
        backend = vault.search.keyword
        with vault.reading() as session:
            case_ids = frozenset(session.scalars(select(Case.id)))
        scope = Scope(case_ids, case_ids)
        ours, theirs, overlaps = [], [], []
        from exhibits.search.normalise import fts5_query

        with vault.reading() as session:
            for query in queries:
                terms = query_terms(query)
                match = fts5_query(terms)
                t = time.perf_counter()
                reference = [
                    r[0]
                    for r in raw.execute(
                        "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT 20",
                        (match,),
                    )
                ]
                theirs.append(time.perf_counter() - t)
                t = time.perf_counter()
                got = backend.search(session, terms, scope, 20)
                ours.append(time.perf_counter() - t)
                if reference:
                    overlaps.append(len({d for d, _, _ in got} & set(reference)) / len(reference))

        def pct(values: list[float], q: float) -> float:
            return statistics.quantiles(values, n=100)[q - 1] * 1000

        print(f"keyword, {len(queries)} queries of 1-3 words:")
        print(f"  ours (ranked, visibility-joined): p50 {pct(ours, 50):.1f} ms  p95 {pct(ours, 95):.1f} ms")
        print(
            f"  raw FTS5 bm25 ORDER BY rank:      p50 {pct(theirs, 50):.1f} ms  p95 {pct(theirs, 95):.1f} ms"
        )
        print(
            f"  ratio p95 ours/raw: {pct(ours, 95) / pct(theirs, 95):.2f}; "
            f"top-20 overlap with raw bm25: mean {statistics.mean(overlaps):.3f} "
            f"over {len(overlaps)} queries with hits"
        )
        if not args.no_vectors and args.hybrid_queries:
            hybrid = []
            for query in queries[: args.hybrid_queries]:
                t = time.perf_counter()
                vault.search.search(admin, query, Filters(), mode="hybrid")
                hybrid.append(time.perf_counter() - t)
            print(
                "hybrid (keyword + semantic, fused; includes the consultation write): "
                f"p50 {pct(hybrid, 50):.0f} ms  p95 {pct(hybrid, 95):.0f} ms over {len(hybrid)} queries"
            )
        raw.close()
        vault.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
