"""Keyword search over search_docs: SQLite FTS5 (embedded) or PostgreSQL full text (scale-out).

Both backends take the same normalised terms and the same visibility and filter clause,
and return (doc id, exhibit id, score) best first; a higher score is better on both.
The clause joins every hit to the exhibits that hold its content, so a user is only ever
given, or counted, hits in exhibits of cases they may see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from exhibits.db.base import UTCDateTime
from exhibits.search import tops
from exhibits.search.normalise import fts5_query

PREFETCH_FACTOR = 10  # ranked matches taken from the index per result wanted, before visibility
COUNT_CAP = 1000  # counts above this are reported as "more than 1,000"
TYPES = {
    "video": "b.mime_type LIKE 'video/%'",
    "audio": "b.mime_type LIKE 'audio/%'",
    "image": "b.mime_type LIKE 'image/%'",
    "document": "(b.mime_type NOT LIKE 'video/%' AND b.mime_type NOT LIKE 'audio/%'"
    " AND b.mime_type NOT LIKE 'image/%')",
}
LAYERS = ("transcript", "ocr", "document", "metadata")


@dataclass(frozen=True)
class Scope:
    """What a query may touch, already authorised: cases, and filters on what is found."""

    read_cases: frozenset[str]  # exhibit metadata visible
    content_cases: frozenset[str]  # transcripts, OCR and document text visible
    type: str | None = None
    layer: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    producer: str | None = None
    entity_type: str | None = None

    def clause(self) -> tuple[str, dict]:
        """SQL over aliases d (search_docs), e (exhibits), m (media), b (blobs)."""
        parts = [
            "e.case_id IN :read_cases",
            "(d.layer = 'metadata' OR e.case_id IN :content_cases)",
            "e.status = 'active'",
            # Need-to-know restrictions name people the core cannot see yet: deny by default.
            "e.restricted = :false",
            "(d.exhibit_id IS NULL OR d.exhibit_id = e.id)",
            # A person's correction replaces the machine transcript for that exhibit only.
            "NOT (d.exhibit_id IS NULL AND d.layer = 'transcript' AND EXISTS ("
            "SELECT 1 FROM analysis_revisions r"
            " WHERE r.exhibit_id = e.id AND r.kind = 'transcript'))",
        ]
        params: dict = {
            "read_cases": sorted(self.read_cases),
            "content_cases": sorted(self.content_cases) or [""],
            "false": False,
        }
        if self.type:
            parts.append(TYPES[self.type])
        if self.layer:
            parts.append("d.layer = :layer")
            params["layer"] = self.layer
        if self.date_from:
            parts.append("COALESCE(m.captured_at, e.created_at) >= :date_from")
            params["date_from"] = self.date_from
        if self.date_to:
            parts.append("COALESCE(m.captured_at, e.created_at) < :date_to")
            params["date_to"] = self.date_to
        if self.producer:
            parts.append("lower(e.producer) LIKE :producer")
            params["producer"] = f"%{self.producer.lower()}%"
        if self.entity_type:
            parts.append("d.entity_types LIKE :entity_type")
            params["entity_type"] = f"% {self.entity_type} %"
        return " AND ".join(parts), params


JOINS = (
    "JOIN media m ON m.sha256 = d.sha256 "
    "JOIN exhibits e ON e.media_id = m.id "
    "JOIN blobs b ON b.sha256 = m.sha256 "
)


def _bind(sql: str, params: dict):
    statement = text(sql).bindparams(
        bindparam("read_cases", expanding=True), bindparam("content_cases", expanding=True)
    )
    for name in ("date_from", "date_to"):
        if name in params:
            statement = statement.bindparams(bindparam(name, type_=UTCDateTime()))
    return statement


class KeywordBackend:
    name = "keyword"

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def _match(self, terms: list[str]) -> tuple[str, str, str, dict]:
        """(FROM, WHERE, score expression, params) for the full-text match."""
        if self.dialect == "sqlite":
            return (
                "search_fts JOIN search_docs d ON d.id = search_fts.rowid ",
                "search_fts MATCH :match",
                "-bm25(search_fts)",
                {"match": fts5_query(terms)},
            )
        return (
            "search_docs d ",
            "d.tsv @@ plainto_tsquery('english', :match)",
            "ts_rank_cd(d.tsv, plainto_tsquery('english', :match), 32)",
            {"match": " ".join(terms)},
        )

    def _top(self, terms: list[str]) -> tuple[str, dict]:
        """The best-ranked matches alone, before any join (what the index does fastest)."""
        if self.dialect == "sqlite":
            sql = (
                "SELECT rowid AS id, -bm25(search_fts) AS score FROM search_fts "
                "WHERE search_fts MATCH :match ORDER BY rank LIMIT :prefetch"
            )
            return sql, {"match": fts5_query(terms)}
        sql = (
            "SELECT id, ts_rank_cd(tsv, plainto_tsquery('english', :match), 32) AS score FROM search_docs "
            "WHERE tsv @@ plainto_tsquery('english', :match) ORDER BY score DESC LIMIT :prefetch"
        )
        return sql, {"match": " ".join(terms)}

    def search(
        self, session: Session, terms: list[str], scope: Scope, limit: int
    ) -> list[tuple[int, str, float]]:
        """Best first. The index ranks its best matches alone, then only those are joined to
        the exhibits the user may see; when that leaves too few (a user who sees a small part
        of a large force), the whole match set is joined and ranked instead."""
        where, scope_params = scope.clause()
        if self.dialect == "sqlite":
            rows = _ranked_by_plan(session, terms, where, scope_params, limit)
            if rows is not None:
                return rows
        top, top_params = self._top(terms)
        sql = (
            f"SELECT d.id, e.id, top.score FROM ({top}) top JOIN search_docs d ON d.id = top.id {JOINS}"
            f"WHERE {where} ORDER BY top.score DESC, d.id LIMIT :limit"
        )
        values = {**top_params, **scope_params, "limit": limit, "prefetch": max(limit * PREFETCH_FACTOR, 200)}
        rows = [
            (int(r[0]), str(r[1]), float(r[2])) for r in session.execute(_bind(sql, scope_params), values)
        ]
        if len(rows) == limit:
            return rows
        source, match, score, params = self._match(terms)
        sql = (
            f"SELECT d.id, e.id, {score} AS score FROM {source}{JOINS}"
            f"WHERE {match} AND {where} ORDER BY score DESC, d.id LIMIT :limit"
        )
        rows = session.execute(_bind(sql, scope_params), {**params, **scope_params, "limit": limit})
        return [(int(r[0]), str(r[1]), float(r[2])) for r in rows]

    def count(self, session: Session, terms: list[str], scope: Scope) -> int:
        source, match, _, params = self._match(terms)
        where, scope_params = scope.clause()
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {source}{JOINS}WHERE {match} AND {where} LIMIT :cap) hits"
        return int(
            session.execute(
                _bind(sql, scope_params), {**params, **scope_params, "cap": COUNT_CAP + 1}
            ).scalar()
        )


def _ranked_by_plan(
    session: Session, terms: list[str], where: str, params: dict, limit: int
) -> list[tuple[int, str, float]] | None:
    """Rank from champion lists or a rarer token's matches (exhibits.search.tops), then join
    the best candidates, a slice at a time, to what the user may see. None when that leaves
    too few and the candidates were champions only: FTS5 must rank the whole match set."""
    ranked = tops.rank(session, terms)
    if ranked is None:
        return None
    scored, complete = ranked
    # CROSS JOIN keeps SQLite from starting at the exhibits and scanning every doc of theirs.
    chosen = "json_each(:ids) chosen CROSS JOIN search_docs d ON d.id = chosen.value "
    sql = f"SELECT d.id, e.id FROM {chosen}{JOINS}WHERE {where}"
    statement = _bind(sql, params)
    step = max(limit * PREFETCH_FACTOR, 200)
    found: list[tuple[int, str, float]] = []
    for at in range(0, len(scored), step):
        score_of = dict(scored[at : at + step])
        rows = session.execute(statement, {**params, "ids": json.dumps(list(score_of))})
        found.extend((int(d), str(e), score_of[int(d)]) for d, e in rows)
        if len(found) >= limit:
            break
    if len(found) < limit and not complete:
        return None
    found.sort(key=lambda row: (-row[2], row[0]))
    return found[:limit]


def visible_vectors(session: Session, scope: Scope, limit: int) -> list[tuple[int, str, bytes]]:
    """(doc id, exhibit id, vector) of every doc the scope may see, for semantic ranking."""
    where, params = scope.clause()
    sql = (
        f"SELECT d.id, e.id, v.vector FROM search_docs d JOIN search_vectors v ON v.doc_id = d.id {JOINS}"
        f"WHERE {where} LIMIT :limit"
    )
    rows = session.execute(_bind(sql, params), {**params, "limit": limit})
    return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]
