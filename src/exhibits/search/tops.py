"""Champion lists: ranked keyword search without a full FTS5 pass over frequent words (SQLite).

FTS5 ranks with bm25 by scoring every row that matches, so a word found in half a million
segments costs half a million scores (seconds) however few results are shown. Search
engines avoid that with champion lists (Manning, Raghavan & Schuetze, *Introduction to
Information Retrieval*, 7.1.3): for each frequent token, the docs where that token weighs
most. Here:

- A token held by at least ``FREQUENT`` docs gets a list of its ``CHAMPIONS`` heaviest docs
  by the token's bm25 weight alone (term frequency against doc length). Docs indexed later
  join the list as they are indexed when they weigh at least the list's floor, so the list
  stays complete above it without a rebuild; the lists are rebuilt when the index has grown
  by half (for tokens that have become frequent since) or on request.
- A query whose tokens are all frequent ranks the union of their champions; a query with a
  rarer token ranks every doc that matches it (few, by definition). Either way candidates
  are scored here with exactly FTS5's bm25 (same formula, k1 = 1.2, b = 0.75, the index's
  own row and token counts, each doc's tokens as FTS5 made them), best first.
- Anything else (a term FTS5 reads as a phrase, docs not yet tokenised, lists never built,
  too many matches) returns None and FTS5 ranks as before.

Single-token results are exact; for several frequent tokens a doc outside every champion
list can be missed. bench/search_scale.py reports the top-20 overlap with raw bm25.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from exhibits.search.models import SearchDoc, SearchTermStat, SearchTermTop, SearchTopsState
from exhibits.search.normalise import fts5_query
from exhibits.search.tokens import query_tokens, split, token_streams

FREQUENT = 2_000  # docs holding a token before it gets a champion list
CHAMPIONS = 1_000  # docs in each list when it is built
RARE_MATCHES = 2 * FREQUENT  # matches ranked here when a query has a rarer token
REBUILD_GROWTH = 1.5  # rebuild when the index holds this many times the docs of the last build
BATCH = 5_000
K1, B = 1.2, 0.75  # FTS5's bm25 constants


def weight(tf: int, length: int, average: float) -> float:
    """A token's bm25 weight in a doc, before its idf (the order of a champion list)."""
    return (tf * (K1 + 1.0)) / (tf + K1 * (1 - B + B * length / average))


def idf(rows: int, docs: int) -> float:
    """FTS5's idf, floored as FTS5 floors it for tokens in more than half the rows."""
    value = math.log((rows - docs + 0.5) / (docs + 0.5))
    return value if value > 0.0 else 1e-6


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """SQLite's varint (FTS5 stores its totals in it): value and the offset after it."""
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + i + 1
    return (value << 8) | data[at + 8], at + 9


def index_totals(session: Session) -> tuple[int, int]:
    """(rows, tokens) of the FTS5 index, as its bm25 reads them (the averages record)."""
    block = session.execute(text("SELECT block FROM search_fts_data WHERE id = 1")).scalar()
    if not block:
        return 0, 0
    rows, at = _varint(block, 0)
    tokens, _ = _varint(block, at)
    return rows, tokens


# --- ranking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How to rank a query: SQL selecting the candidate docs, and FTS5's bm25 inputs."""

    candidates: str  # SQL over search_docs ``s``: id and tokens of every candidate holding all tokens
    params: dict[str, Any]
    tokens: tuple[str, ...]  # one per query term (FTS5's phrases), repeats kept
    idfs: tuple[float, ...]
    average_length: float
    complete: bool  # the candidates are every match, not champions only


def plan(session: Session, terms: list[str]) -> Plan | None:
    """How to rank ``terms`` (all must match) without FTS5's full pass; None when FTS5 must."""
    tokens = query_tokens(tuple(terms))
    state = session.get(SearchTopsState, 1)
    if not tokens or state is None:
        return None
    rows, total = index_totals(session)
    if not rows:
        return None
    wanted = sorted(set(tokens))
    stats = dict(
        session.execute(
            select(SearchTermStat.token, SearchTermStat.docs).where(SearchTermStat.token.in_(wanted))
        ).all()
    )
    params: dict[str, Any] = {f"pattern{i}": f" {token} " for i, token in enumerate(wanted)}
    holds = " AND ".join(f"instr(s.tokens, :pattern{i}) > 0" for i in range(len(wanted)))
    frequent = set(stats)
    complete = len(frequent) < len(wanted)
    if complete:  # a rarer token: every match is ranked, as few as that token's docs
        for term, token in zip(terms, tokens, strict=True):
            if token not in stats:
                stats[token] = _docs_holding(session, term)
        if min(stats[token] for token in wanted if token not in frequent) > RARE_MATCHES:
            return None
        params["match"] = fts5_query(terms)
        source = "SELECT rowid FROM search_fts WHERE search_fts MATCH :match"
        candidates = f"SELECT s.id, s.tokens FROM search_docs s WHERE s.id IN ({source}) AND {holds}"
    else:  # the lists carry each champion's tokens: read in one sweep per token, no doc lookups
        params.update({f"token{i}": token for i, token in enumerate(wanted)})
        names = ", ".join(f":token{i}" for i in range(len(wanted)))
        lists = f"search_term_tops s WHERE s.token IN ({names})"
        candidates = f"SELECT s.doc_id, s.tokens FROM {lists} AND {holds}"
    idfs = tuple(idf(rows, stats[token]) for token in tokens)
    return Plan(candidates, params, tokens, idfs, total / rows, complete)


def _docs_holding(session: Session, term: str) -> int:
    sql = text("SELECT count(*) FROM search_fts WHERE search_fts MATCH :match")
    return int(session.execute(sql, {"match": fts5_query([term])}).scalar())


def scores(session: Session, found: Plan) -> list[tuple[int, float]]:
    """Each candidate's bm25 score, best first (ties: lower doc id first)."""
    average, pairs = found.average_length, tuple(zip(found.idfs, found.tokens, strict=True))
    scored, seen = [], set()
    for doc_id, stream in session.execute(text(found.candidates), found.params):
        if doc_id in seen:  # a champion of several of the tokens
            continue
        seen.add(doc_id)
        held = split(stream)
        score = 0.0
        for token_idf, token in pairs:  # FTS5's own order of operations: the same doubles
            score += token_idf * weight(held.count(token), len(held), average)
        scored.append((doc_id, score))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


def rank(session: Session, terms: list[str]) -> tuple[list[tuple[int, float]], bool] | None:
    """Every candidate with its score, best first, and whether they are every match; None
    when FTS5 must rank the query itself."""
    found = plan(session, terms)
    if found is None:
        return None
    return scores(session, found), found.complete


# --- keeping the lists in step, inside the indexing unit of work ------------------------------


def record(session: Session, docs: Iterable[tuple[int, str]]) -> None:
    """Docs (id, tokens) just indexed: count them in their frequent tokens' doc counts, and add
    them to those tokens' champion lists where they weigh at least the list's floor."""
    state = session.get(SearchTopsState, 1)
    if state is None:
        return
    docs = list(docs)
    streams = {doc_id: stream for doc_id, stream in docs if stream}
    held = {doc_id: split(stream) for doc_id, stream in streams.items()}
    seen = set().union(*held.values()) if held else set()
    floors: dict[str, float] = {}
    for at in range(0, len(ordered := sorted(seen)), 10_000):
        floors.update(
            session.execute(
                select(SearchTermStat.token, SearchTermStat.floor).where(
                    SearchTermStat.token.in_(ordered[at : at + 10_000])
                )
            ).all()
        )
    if not floors:
        return
    counts: Counter[str] = Counter()
    champions = []
    for doc_id, tokens in held.items():
        length = len(tokens)
        for token in set(tokens).intersection(floors):
            counts[token] += 1
            if weight(tokens.count(token), length, state.average_length) >= floors[token]:
                champions.append({"token": token, "doc_id": doc_id, "tokens": streams[doc_id]})
    if counts:
        session.execute(
            update(SearchTermStat.__table__)
            .where(SearchTermStat.token == bindparam("t"))
            .values(docs=SearchTermStat.docs + bindparam("n")),
            [{"t": token, "n": n} for token, n in counts.items()],
        )
    if champions:
        session.execute(insert(SearchTermTop).prefix_with("OR REPLACE"), champions)


# --- building the lists -----------------------------------------------------------------------


def stale(session: Session) -> bool:
    """Whether the lists should be (re)built: never built on an index big enough to need them,
    docs not yet tokenised, or the index has grown by half since."""
    rows, _ = index_totals(session)
    state = session.get(SearchTopsState, 1)
    if state is None:
        return rows >= FREQUENT
    untokenised = session.scalar(select(SearchDoc.id).where(SearchDoc.tokens.is_(None)).limit(1))
    return untokenised is not None or rows >= state.docs * REBUILD_GROWTH


def untokenised(session: Session, limit: int) -> list[tuple[int, str]]:
    query = select(SearchDoc.id, SearchDoc.body).where(SearchDoc.tokens.is_(None))
    return [tuple(row) for row in session.execute(query.order_by(SearchDoc.id).limit(limit))]


def store_tokens(session: Session, rows: list[tuple[int, str]]) -> None:
    streams = token_streams([body for _, body in rows])
    session.execute(
        update(SearchDoc.__table__).where(SearchDoc.id == bindparam("i")).values(tokens=bindparam("s")),
        [{"i": doc_id, "s": stream} for (doc_id, _), stream in zip(rows, streams, strict=True)],
    )


def frequent_tokens(session: Session) -> dict[str, int]:
    """Tokens held by at least FREQUENT docs, with their doc counts (from fts5vocab)."""
    sql = text("SELECT term, doc FROM search_fts_vocab WHERE doc >= :floor")
    return {str(t): int(n) for t, n in session.execute(sql, {"floor": FREQUENT}) if len(str(t)) <= 200}


def all_streams(session: Session, through: int) -> Iterator[tuple[int, str]]:
    last = 0
    while True:
        rows = session.execute(
            select(SearchDoc.id, SearchDoc.tokens)
            .where(SearchDoc.id > last, SearchDoc.id <= through)
            .order_by(SearchDoc.id)
            .limit(50_000)
        ).all()
        if not rows:
            return
        for doc_id, stream in rows:
            if stream:
                yield doc_id, stream
        last = rows[-1][0]


def champions(
    streams: Iterable[tuple[int, str]], frequent: set[str], average: float, keep: int = CHAMPIONS
) -> dict[str, list[tuple[float, int]]]:
    """Each frequent token's ``keep`` heaviest docs as (weight, doc id), heaviest first; ties
    go to the lower doc id, as FTS5 breaks them."""
    heaps: dict[str, list[tuple[float, int]]] = {token: [] for token in frequent}
    for doc_id, stream in streams:
        tokens = split(stream)
        length = len(tokens)
        for token in frequent.intersection(tokens):
            entry = (weight(tokens.count(token), length, average), -doc_id)
            heap = heaps[token]
            if len(heap) < keep:
                heapq.heappush(heap, entry)
            elif entry > heap[0]:
                heapq.heapreplace(heap, entry)
    return {
        token: [(w, -negative) for w, negative in sorted(heap, reverse=True)] for token, heap in heaps.items()
    }


def replace_lists(
    session: Session,
    lists: dict[str, list[tuple[float, int]]],
    docs: dict[str, int],
    *,
    built_through: int,
    rows: int,
    average: float,
    now,
) -> None:
    """Store freshly built lists (inside one unit of work), then fold in docs indexed since."""
    session.execute(delete(SearchTermTop))
    session.execute(delete(SearchTermStat))
    stats = [
        {"token": token, "docs": docs[token], "floor": entries[-1][0] if entries else 0.0}
        for token, entries in lists.items()
    ]
    if stats:
        session.execute(insert(SearchTermStat), stats)
    copy = text(
        "INSERT INTO search_term_tops (token, doc_id, tokens) "
        "SELECT :token, id, tokens FROM search_docs WHERE id = :doc_id AND tokens IS NOT NULL"
    )
    tops = [{"token": token, "doc_id": doc_id} for token, entries in lists.items() for _, doc_id in entries]
    for at in range(0, len(tops), 50_000):
        session.execute(copy, tops[at : at + 50_000])
    session.execute(delete(SearchTopsState))
    session.add(
        SearchTopsState(id=1, built_through=built_through, docs=rows, average_length=average, built_at=now)
    )
    session.flush()
    newer = select(SearchDoc.id, SearchDoc.tokens).where(
        SearchDoc.id > built_through, SearchDoc.tokens.is_not(None)
    )
    record(session, [(doc_id, stream) for doc_id, stream in session.execute(newer)])


def highest_doc(session: Session) -> int:
    return int(session.scalar(select(func.max(SearchDoc.id))) or 0)
