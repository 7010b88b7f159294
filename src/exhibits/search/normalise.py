"""Text as the full-text index sees it, the same for SQLite FTS5 and PostgreSQL.

Registrations, postcodes and phone numbers are written with and without spaces ("AB12 CDE",
"AB12CDE", "ls1 4ap", "07700 900123", "+44 7700 900123"). The index body keeps the text
and adds the compact form of every identifier in it; a query has its identifiers compacted
the same way, so either spelling finds either. Doing this in Python rather than in a custom
FTS5 tokenizer keeps the two backends identical and needs no SQLite extension.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from exhibits import identifiers as ids

SPACED_ID = re.compile(
    r"(?<![A-Za-z0-9])("
    r"[A-Za-z]{2}[0-9]{2} [A-Za-z]{3}"  # current registration
    r"|[A-Za-z][0-9]{1,3} [A-Za-z]{3}"  # prefix
    r"|[A-Za-z]{3} [0-9]{1,3}[A-Za-z]"  # suffix
    r"|[A-Za-z]{1,2}[0-9][A-Za-z0-9]? [0-9][A-Za-z]{2}"  # postcode
    r"|[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]"  # NINO
    r")(?![A-Za-z0-9])"
)
PHONE_LIKE = re.compile(r"(?<![0-9+])(?:\+44 ?\(?0?\)? ?|0)[0-9][0-9 ()-]{7,14}[0-9](?![0-9])")
WORD = re.compile(r"\w+", re.UNICODE)
_STOP = """
a an and are as at be but by for from had has have he her his i in is it its of on or our she so
than that the their them then there they this to was we were what when where which who will with you your
"""
STOP_WORDS = frozenset(_STOP.split())


def _identifier(text: str) -> str | None:
    value = ids.compact(text)
    if ids.vrm_kind(value) or ids.normalise_postcode(value) or ids.normalise_nino(value):
        return value
    return None


def _phone_forms(text: str) -> list[str]:
    e164 = ids.normalise_phone(text)
    if e164 is None:
        digits = re.sub(r"[^0-9+]", "", text)
        if not ids.matches("phone_uk", digits):
            return []
        e164 = "+44" + digits.lstrip("+").removeprefix("44").removeprefix("0044").lstrip("0")
    if not e164.startswith("+44"):
        return [e164.lstrip("+")]
    return [e164.lstrip("+"), "0" + e164[3:]]


def extra_terms(text: str) -> list[str]:
    """Compact forms of the identifiers in some text (what the index adds to it)."""
    terms = []
    for match in SPACED_ID.finditer(text):
        value = _identifier(match.group(0))
        if value:
            terms.append(value)
    for match in PHONE_LIKE.finditer(text):
        terms += _phone_forms(match.group(0))
    return terms


def index_body(text: str, more: Iterable[str] = ()) -> str:
    """The body stored for full-text indexing: the text, then the compact identifier forms
    and any normalised entity values (spoken registrations, E.164 numbers) found in it."""
    extra = [*extra_terms(text), *(ids.compact(v) if " " not in v.strip() else v for v in more)]
    seen: set[str] = set()
    unique = [t for t in extra if not (t.lower() in seen or seen.add(t.lower()))]
    return text if not unique else f"{text}\n{' '.join(unique)}"


def query_terms(query: str) -> list[str]:
    """The words to look for (all of them must match): identifiers compacted, stop-words
    dropped unless nothing else is left, case folded."""
    compacted = query
    for match in reversed(list(PHONE_LIKE.finditer(compacted))):
        forms = _phone_forms(match.group(0))
        if forms:
            compacted = compacted[: match.start()] + f" {forms[-1]} " + compacted[match.end() :]
    for match in reversed(list(SPACED_ID.finditer(compacted))):
        value = _identifier(match.group(0))
        if value:
            compacted = compacted[: match.start()] + f" {value} " + compacted[match.end() :]
    words = [w.casefold() for w in WORD.findall(compacted)]
    kept = [w for w in words if w not in STOP_WORDS]
    return kept or words


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term quoted (no operator can be injected), ANDed."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)
