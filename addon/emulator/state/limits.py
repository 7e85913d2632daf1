"""Fixed-window request counters for rate limiting (per token) and flood control (per recipient).

HIPCHAT.md §6.12: 500 requests per 5 minutes per token, 30 messages per minute per recipient.
Not thread-safe on its own: the ``Emulator`` calls it while holding its lock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """The state of one counter after a hit: what the X-*-Limit/Remaining/Reset headers say."""

    limit: int
    remaining: int
    reset: int
    allowed: bool = True


class FixedWindowCounter:
    """Counts hits per key in fixed windows of ``window`` seconds that start at the first hit."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._windows: dict[Hashable, tuple[float, int]] = {}

    def _current(self, key: Hashable, now: float) -> tuple[float, int]:
        start, count = self._windows.get(key, (now, 0))
        if now >= start + self.window:
            start, count = now, 0
        return start, count

    def hit(self, key: Hashable) -> Window:
        """Count one hit for ``key``; past the limit ``allowed`` is False and nothing is counted."""
        now = self.clock()
        if len(self._windows) > 10000:
            self._prune(now)
        start, count = self._current(key, now)
        allowed = count < self.limit
        if allowed:
            count += 1
        self._windows[key] = (start, count)
        return Window(
            self.limit, max(0, self.limit - count), math.ceil(start + self.window), allowed
        )

    def peek(self, key: Hashable) -> Window:
        """The counter for ``key`` without counting a hit."""
        now = self.clock()
        start, count = self._current(key, now)
        return Window(self.limit, max(0, self.limit - count), math.ceil(start + self.window))

    def clear(self) -> None:
        """Forget every counter."""
        self._windows.clear()

    def _prune(self, now: float) -> None:
        expired = [k for k, (start, _) in self._windows.items() if now >= start + self.window]
        for key in expired:
            del self._windows[key]
