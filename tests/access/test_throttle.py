"""The sign-in throttle's decision, as a property of any history of sign-in outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from exhibits.access.throttle import REFUSED, SIGNED_IN, wait_after
from exhibits.clock import iso_utc

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)

outcomes = st.lists(
    st.tuples(st.sampled_from([REFUSED, SIGNED_IN]), st.integers(min_value=0, max_value=15 * 60 * 10**6)),
    max_size=12,
)


def history(items: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """Newest first, each ``age`` microseconds before NOW (inside the window)."""
    ordered = sorted(items, key=lambda item: item[1])
    return [(action, iso_utc(NOW - timedelta(microseconds=age))) for action, age in ordered]


@given(outcomes, st.integers(min_value=1, max_value=8))
def test_an_account_waits_only_after_n_refusals_in_a_row_and_never_longer_than_the_window(items, n):
    attempts = history(items)
    wait = wait_after(attempts, NOW, n, WINDOW)
    latest = [action for action, _ in attempts[:n]]
    if len(latest) < n or SIGNED_IN in latest:
        assert wait is None
    else:
        oldest_age = NOW - datetime.fromisoformat(attempts[n - 1][1].replace("Z", "+00:00"))
        assert wait is None if oldest_age >= WINDOW else wait == WINDOW - oldest_age
    assert wait is None or timedelta(0) < wait <= WINDOW


def test_the_wait_ends_when_the_oldest_counted_refusal_leaves_the_window():
    attempts = history([(REFUSED, minutes * 60 * 10**6) for minutes in (1, 2, 3, 4, 10)])
    assert wait_after(attempts, NOW, 5, WINDOW) == timedelta(minutes=5)
    assert wait_after(attempts, NOW, 6, WINDOW) is None
