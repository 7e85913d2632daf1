"""A per-process send limiter: sliding windows per key (a room, a token) and server-set blocks.

The outbox asks it before every send, so a reply waits for a free slot in HipChat's flood
control (messages per room) and rate limit (requests per token) instead of provoking a 429.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable

#: Safety margin added to each window (our clock is not HipChat's; requests take time to arrive).
WINDOW_MARGIN = 0.05


class Limiter:
    """Sliding-window counters per key (room or token), plus blocks set from server headers.

    Per process and thread-safe: ``acquire`` either records a send for every key and returns 0,
    or records nothing and returns the seconds until all keys have room again.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sent: dict[Hashable, deque[float]] = {}
        self._blocked: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def acquire(self, limits: Iterable[tuple[Hashable, int, float]]) -> float:
        """``limits``: (key, limit, window seconds); 0 when a send may go now (it is counted)."""
        limits = list(limits)
        with self._lock:
            now = self.clock()
            wait = 0.0
            for key, limit, window in limits:
                wait = max(wait, self._blocked.get(key, 0.0) - now)
                sent = self._sent.setdefault(key, deque())
                while sent and sent[0] <= now - window - WINDOW_MARGIN:
                    sent.popleft()
                if len(sent) >= limit:
                    wait = max(wait, sent[len(sent) - limit] + window + WINDOW_MARGIN - now)
            if wait > 0:
                return wait
            for key, _limit, _window in limits:
                self._sent[key].append(now)
            return 0.0

    def block(self, key: Hashable, seconds: float) -> None:
        """Send nothing for ``key`` for ``seconds`` (a server said its window is full)."""
        with self._lock:
            until = self.clock() + seconds
            self._blocked[key] = max(self._blocked.get(key, 0.0), until)
