"""Sliding-window rate limits for the public routes, kept in the process's memory: a public
page is served by one ``exhibits serve`` process, and a restart forgetting the windows is harmless."""

from __future__ import annotations

import threading
import time
from collections import deque

from exhibits.errors import TooManyRequests


class RateLimiter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit(self, bucket: str, key: str, limit: int, window_seconds: float) -> None:
        """Count one request; refuse it (429, with Retry-After) when over ``limit`` in the window."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) >= self._max_keys:  # a flood of addresses must not exhaust memory
                self._prune(now, window_seconds)
            hits = self._hits.setdefault((bucket, key), deque())
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                retry = int(hits[0] + window_seconds - now) + 1
                raise TooManyRequests("too many requests: please wait and try again", retry)
            hits.append(now)

    def _prune(self, now: float, window: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - window]:
            del self._hits[key]
        if len(self._hits) >= self._max_keys:
            self._hits.clear()
