"""The delivery log: one entry per webhook POST the emulator made, newest last, bounded.

Served by ``GET /emulator/api/deliveries`` and summarised per installation, so a failing add-on
is visible in words (status, error text, latency) instead of silently dropped.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any


class DeliveryLog:
    """A thread-safe ring of delivery records (plain JSON-ready dicts)."""

    def __init__(self, limit: int = 1000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max(1, int(limit)))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append ``entry`` with a fresh ``id``; the oldest entry goes once the log is full."""
        with self._lock:
            record = {"id": next(self._ids), **entry}
            self._entries.append(record)
            return record

    def items(self, oauth_id: str | None = None, last: int | None = None) -> list[dict[str, Any]]:
        """Entries oldest first, only those of ``oauth_id`` when given, the ``last`` N if set."""
        with self._lock:
            found = [
                dict(e) for e in self._entries if oauth_id is None or e["oauth_id"] == oauth_id
            ]
        return found[-last:] if last else found

    def clear(self) -> None:
        """Forget every entry (ids keep counting)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
