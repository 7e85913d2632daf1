"""The request journal: what every /v2 call looked like, for tests to assert on.

Bounded (oldest entries drop off) so a long-running emulator does not grow without end. Not
thread-safe on its own: used under the emulator lock.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class Journal:
    """An append-only, bounded list of request records (newest last)."""

    def __init__(self, limit: int = 10000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Record one request; the same dict may be updated later (e.g. with its status)."""
        self._entries.append(entry)
        return entry

    def items(self) -> list[dict[str, Any]]:
        """Copies of every record, oldest first."""
        return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        """Forget every record."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
