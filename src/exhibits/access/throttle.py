"""Sign-in throttling: at most N failed sign-ins of one account in any window of W minutes.

Guessing a password or an authenticator code needs many tries; after ``failures`` refusals
within ``window`` (with no successful sign-in after them) the account takes no more
attempts until the oldest of those refusals leaves the window. The refusals are the
custody log's own ``auth.sign_in_refused`` events, so the count holds across server
processes and restarts and needs no table of its own. Attempts refused while throttled are
logged as ``auth.sign_in_throttled`` and do not extend the wait: someone hammering an
account cannot lock its owner out for longer than the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exhibits.clock import iso_utc, parse_iso
from exhibits.custody.models import CustodyEventRow

SIGNED_IN = "auth.sign_in"
REFUSED = "auth.sign_in_refused"
THROTTLED = "auth.sign_in_throttled"


def wait_after(
    attempts: Sequence[tuple[str, str]], now: datetime, failures: int, window: timedelta
) -> timedelta | None:
    """How long the account must wait, given its latest sign-in outcomes (newest first, as
    (action, ISO time) pairs, already limited to the window): None when it may try now."""
    recent = attempts[:failures]
    if len(recent) < failures or any(action != REFUSED for action, _ in recent):
        return None
    oldest = parse_iso(recent[-1][1])
    wait = oldest + window - now
    return wait if wait > timedelta(0) else None


def account_wait(
    session: Session, user_id: str, now: datetime, failures: int, window: timedelta
) -> timedelta | None:
    """Read the account's latest sign-in outcomes inside the window and decide."""
    since = iso_utc(now - window)
    # Events are appended in time order, so the window starts at one sequence number; the
    # actor index then walks only this account's events from there.
    first = select(func.min(CustodyEventRow.seq)).where(CustodyEventRow.at >= since).scalar_subquery()
    rows = session.execute(
        select(CustodyEventRow.action, CustodyEventRow.at)
        .where(
            CustodyEventRow.actor_id == user_id,
            CustodyEventRow.seq >= first,
            CustodyEventRow.action.in_((SIGNED_IN, REFUSED)),
        )
        .order_by(CustodyEventRow.seq.desc())
        .limit(failures)
    ).all()
    return wait_after([(a, at) for a, at in rows], now, failures, window)
