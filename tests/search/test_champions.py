"""Ranking frequent words from champion lists gives FTS5's own bm25 ranking, kept in step as
docs are indexed and removed, never showing what a user may not see (SQLite)."""

from __future__ import annotations

import random
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from exhibits.analysis.transcription import TranscriptionProcessor
from exhibits.processing.processor import Processed, Result
from exhibits.search import tops
from exhibits.search.backends import Scope
from exhibits.search.models import SearchDoc, SearchTermTop
from exhibits.search.normalise import query_terms
from exhibits.search.tokens import TOKENIZE, token_streams

from .conftest import transcript

WORDS = ["knife", "running", "runs", "car", "street", "door", "phone", "bag", "window", "alarm", "Zoë"]
QUERIES = [
    "knife",
    "car door",
    "running",
    "phone bag window",
    "runs",
    "zoe",
    "alarm alarm",
    "street knife car",
]


def corpus(seed: int, segments: int) -> dict:
    rng = random.Random(seed)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(2, 12))) for _ in range(segments)]
    facts = transcript(*((i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(texts)))
    return facts


def record(vault, sha256: str, facts: dict, run: str) -> None:
    """A transcription result as the pipeline records it; a new ``run`` (its parameters) replaces
    the content's earlier transcript in the index."""
    result = Result(facts=facts, params={"run": run})
    vault.write(
        lambda ctx: vault.plugins.hook.exhibits_processed(
            ctx=ctx, vault=vault, processed=[Processed(sha256, TranscriptionProcessor, result)]
        )
    )


def raw_ranking(vault_path, query: str) -> list[tuple[int, float]]:
    from exhibits.search.normalise import fts5_query

    with sqlite3.connect(vault_path / "exhibits.db") as db:
        sql = "SELECT rowid, -bm25(search_fts) FROM search_fts WHERE search_fts MATCH ? ORDER BY rank, rowid"
        return [(int(r), float(s)) for r, s in db.execute(sql, (fts5_query(query_terms(query)),))]


def ranked(vault, query: str):
    with vault.reading() as session:
        return tops.rank(session, query_terms(query))


@pytest.fixture
def small_lists(monkeypatch):
    """Lists for any token in 30 docs or more, each holding every such doc (complete)."""
    monkeypatch.setattr(tops, "FREQUENT", 30)
    monkeypatch.setattr(tops, "CHAMPIONS", 10_000)


@pytest.fixture
def indexed(vault, force):
    record(vault, force.bwv["sha256"], corpus(1, 300), "1")
    record(vault, force.other["sha256"], corpus(2, 200), "2")
    return force


pytestmark = pytest.mark.sqlite_only


def test_each_doc_keeps_exactly_the_tokens_fts5_indexed(vault, vault_path, indexed):
    with sqlite3.connect(vault_path / "exhibits.db") as db:
        assert (
            f"tokenize='{TOKENIZE}'"
            in db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'").fetchone()[0]
        )
        db.execute("CREATE VIRTUAL TABLE temp.instances USING fts5vocab(main, search_fts, instance)")
        indexed_tokens: dict[int, list[str]] = {}
        for doc, term in db.execute("SELECT doc, term FROM temp.instances"):
            indexed_tokens.setdefault(doc, []).append(term)
        kept = dict(db.execute("SELECT id, tokens FROM search_docs"))
    assert kept and all(stream is not None for stream in kept.values())
    assert {d: sorted(s.split()) for d, s in kept.items()} == {
        d: sorted(t) for d, t in indexed_tokens.items()
    }
    assert token_streams(["Zoë's running"]) == [token_streams(["zoe s run"])[0]]


def test_nothing_is_built_for_a_small_index_and_fts5_ranks(vault, indexed):
    assert vault.search.optimise() is None  # fewer docs than FREQUENT: FTS5 alone is fast
    assert ranked(vault, "knife") is None


def test_ranking_is_fts5_bm25_exactly(vault, vault_path, indexed, small_lists):
    built = vault.search.optimise()
    assert built["frequent_tokens"] == len({w.lower().replace("ë", "e") for w in WORDS}) - 1  # run+running
    for query in QUERIES:
        scored, _ = ranked(vault, query)
        expected = raw_ranking(vault_path, query)
        assert [d for d, _ in scored] == [d for d, _ in expected], query
        assert [s for _, s in scored] == pytest.approx([s for _, s in expected], rel=1e-12), query


def test_short_lists_still_rank_one_word_exactly(vault, vault_path, indexed, small_lists, monkeypatch):
    monkeypatch.setattr(tops, "CHAMPIONS", 15)
    vault.search.optimise(force=True)
    for query in ["knife", "car", "phone"]:
        scored, complete = ranked(vault, query)
        assert not complete
        assert [d for d, _ in scored[:15]] == [d for d, _ in raw_ranking(vault_path, query)[:15]]


def test_docs_indexed_after_the_build_join_the_lists(vault, vault_path, indexed, small_lists, monkeypatch):
    monkeypatch.setattr(tops, "CHAMPIONS", 15)
    vault.search.optimise(force=True)
    heavy = transcript((0.0, 2.0, "knife knife knife"), (3.0, 5.0, "car knife"))
    record(vault, indexed.photo["sha256"], heavy, "heavy")
    with vault.reading() as session:
        new = set(
            session.scalars(
                select(SearchDoc.id).where(
                    SearchDoc.sha256 == indexed.photo["sha256"], SearchDoc.layer == "transcript"
                )
            )
        )
        champions = set(session.scalars(select(SearchTermTop.doc_id).where(SearchTermTop.token == "knife")))
    assert min(new) in champions  # "knife knife knife" outweighs every earlier doc
    scored, _ = ranked(vault, "knife")
    assert scored[0][0] == raw_ranking(vault_path, "knife")[0][0] == min(new)


def test_replaced_docs_are_not_ranked(vault, vault_path, indexed, small_lists):
    vault.search.optimise()
    before = {d for d, _ in ranked(vault, "knife")[0]}
    record(vault, indexed.bwv["sha256"], corpus(3, 300), "3")  # a re-run replaces
    scored, _ = ranked(vault, "knife")
    assert before - {d for d, _ in scored}  # the old segments are gone from the results
    assert [d for d, _ in scored] == [d for d, _ in raw_ranking(vault_path, "knife")]


def test_search_through_champions_shows_only_what_the_user_may_see(vault, people, indexed, small_lists):
    vault.search.optimise()
    officer = vault.search.search(people.officer, "knife", mode="keyword", limit=200)
    assert officer.hits and {h.case_ref for h in officer.hits} == {indexed.a}
    investigator = vault.search.search(people.investigator, "knife", mode="keyword", limit=200)
    assert {h.case_ref for h in investigator.hits} == {indexed.a, indexed.b}
    assert vault.search.search(people.outsider, "knife", mode="keyword").hits == []


def test_a_narrow_user_falls_back_to_the_whole_match_set(
    vault, vault_path, indexed, small_lists, monkeypatch
):
    monkeypatch.setattr(tops, "CHAMPIONS", 5)
    vault.search.optimise(force=True)
    with vault.reading() as session:
        case_b = session.execute(text("SELECT id FROM cases WHERE crime_ref = :r"), {"r": indexed.b}).scalar()
        scope = Scope(frozenset({case_b}), frozenset({case_b}))
        rows = vault.search.keyword.search(session, ["knife"], scope, 20)
    assert len(rows) == 20  # more than the 5 champions, all from case B's exhibits
    scores = [s for _, _, s in rows]
    assert scores == sorted(scores, reverse=True)


def test_docs_indexed_before_tokens_were_kept_are_tokenised(vault, vault_path, indexed, small_lists):
    vault.search.optimise()
    # As a vault upgraded from before tokens were kept: some docs without them, no lists yet.
    vault.write(
        lambda ctx: ctx.session.execute(text("UPDATE search_docs SET tokens = NULL WHERE id % 2 = 0"))
    )
    vault.write(lambda ctx: ctx.session.execute(text("DELETE FROM search_tops_state")))
    assert ranked(vault, "car") is None  # FTS5 ranks until they are tokenised and lists built
    built = vault.search.optimise()
    assert built["tokenised"] > 0
    assert [d for d, _ in ranked(vault, "car")[0]] == [d for d, _ in raw_ranking(vault_path, "car")]


def test_the_idle_worker_builds_the_lists(vault, indexed, small_lists):
    from exhibits.processing.worker import EmbeddedWorker

    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()
    assert ranked(vault, "knife") is not None


def test_cli_search_optimise(cli, vault_path, indexed, small_lists, monkeypatch):
    refused = cli("search-optimise", user="1234")
    assert refused.exit_code != 0 and "permission" in refused.stderr
    built = cli("search-optimise")
    assert built.exit_code == 0, built.stderr
    assert "frequent words" in built.stdout
    again = cli("search-optimise")
    assert again.exit_code == 0 and "Nothing to do" in again.stdout


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy 2-core machine
@given(
    st.lists(st.lists(st.sampled_from("abcde"), min_size=1, max_size=8), min_size=1, max_size=40),
    st.integers(1, 10),
)
def test_champions_are_each_tokens_heaviest_docs(docs, keep):
    streams = [(i + 1, "".join(f" {t} " for t in tokens)) for i, tokens in enumerate(docs)]
    average = sum(len(t) for t in docs) / len(docs)
    lists = tops.champions(streams, set("abcde"), average, keep)
    for token in "abcde":
        holding = [
            (tops.weight(s.split().count(token), len(s.split()), average), d)
            for d, s in streams
            if token in s.split()
        ]
        expected = sorted(holding, key=lambda e: (-e[0], e[1]))[:keep]
        assert lists[token] == expected
