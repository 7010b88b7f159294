"""The full-text index's own tokens, computed in Python's process (SQLite only).

Ranking candidates outside FTS5 (exhibits.search.tops) needs each document's tokens exactly
as the index sees them: the same tokenizer, porter stemming included. Rather than a second
implementation that could drift, text is tokenised by FTS5 itself, in a private in-memory
table with the index's tokenizer, read back through an ``fts5vocab`` instance table.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache

# The tokenizer of search_fts (migration 0300_analysis); a test checks the two agree.
TOKENIZE = "porter unicode61 remove_diacritics 2"

_local = threading.local()


def _connection() -> sqlite3.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(":memory:")
        connection.execute(f"CREATE VIRTUAL TABLE pieces USING fts5(body, tokenize='{TOKENIZE}')")
        connection.execute("CREATE VIRTUAL TABLE pieces_tokens USING fts5vocab(pieces, instance)")
        _local.connection = connection
    return connection


def token_streams(texts: list[str]) -> list[str]:
    """Each text's tokens, each with a space either side (" run  car  run "), in no set order.
    Tokens never hold a space, so " run " occurs once per instance of the token and SQL can
    count it with replace() (exhibits.search.tops)."""
    if not texts:
        return []
    connection = _connection()
    with connection:
        connection.execute("DELETE FROM pieces")
        connection.executemany(
            "INSERT INTO pieces(rowid, body) VALUES (?, ?)", ((i, t) for i, t in enumerate(texts))
        )
        grouped = dict(
            connection.execute(
                "SELECT doc, ' ' || group_concat(term, '  ') || ' ' FROM pieces_tokens GROUP BY doc"
            )
        )
        connection.execute("DELETE FROM pieces")
    return [grouped.get(i, "") for i in range(len(texts))]


def split(stream: str) -> list[str]:
    return stream.split()


@lru_cache(maxsize=4096)
def query_tokens(terms: tuple[str, ...]) -> tuple[str, ...] | None:
    """The single token each query term becomes, or None when a term becomes none or several
    (FTS5 then treats it as a phrase, which only FTS5 itself ranks)."""
    tokens = [split(stream) for stream in token_streams(list(terms))]
    if any(len(t) != 1 for t in tokens):
        return None
    return tuple(t[0] for t in tokens)
