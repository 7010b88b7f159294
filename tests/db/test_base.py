"""UTCDateTime reads SQLite's text as the generic TypeDecorator path would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import TypeDecorator
from sqlalchemy.dialects import sqlite

from exhibits.db.base import UTCDateTime


def _processors():
    dialect = sqlite.dialect()
    kind = UTCDateTime().dialect_impl(dialect)
    generic = TypeDecorator.result_processor(kind, dialect, None)
    return kind._cached_result_processor(dialect, None), generic, kind._cached_bind_processor(dialect)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "2026-12-07 21:33:44.123456",
        "2026-12-07 21:33:44.000000",
        "0999-01-01 00:00:00.000001",
        "2026-12-07 21:33:44",
        "2026-12-07T21:33:44.123456",
        "2026-12-07 21:33:44.123456+02:00",
        "2026-12-07 23:33:44-05:30",
        "2026-12-07",
    ],
)
def test_same_time_as_the_generic_path(text):
    fast, generic, _ = _processors()
    expected, got = generic(text), fast(text)
    assert got == expected
    if expected is not None:
        assert got.tzinfo is UTC and got.isoformat() == expected.isoformat()


def test_round_trip_of_stored_times():
    fast, generic, bind = _processors()
    for moment in (datetime(2026, 12, 7, 21, 33, 44, 5, UTC), datetime(1, 1, 1, tzinfo=UTC)):
        stored = bind(moment)
        assert fast(stored) == generic(stored) == moment


@pytest.mark.parametrize("text", ["nonsense", "", "2026-13-07 21:33:44.123456"])
def test_bad_text_refused_alike(text):
    fast, generic, _ = _processors()
    with pytest.raises(ValueError):
        generic(text)
    with pytest.raises(ValueError):
        fast(text)
