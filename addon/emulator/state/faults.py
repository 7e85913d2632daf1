"""Fault injection rules: make the next N matching /v2 calls stall, fail or drop the connection.

Added through the admin API (``POST /emulator/api/faults``) so client retry paths can be tested
against real errors, latency, 429s and resets. ``"after": true`` applies the fault once the call
has done its work (a message is posted, then the answer is late, an error or never comes): the
ambiguous failures that make a careless client send twice. Not thread-safe on its own: used
under the emulator lock.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from addon.emulator.exceptions import ValidationError


@dataclass
class Fault:
    """One rule: requests whose path matches ``path`` (re.search) and ``method`` (if set)."""

    id: int
    path: str
    status: int | None
    count: int
    delay: float
    method: str | None = None
    message: str | None = None
    reset: bool = False
    after: bool = False
    hits: int = 0
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (and still has uses left)."""
        if self.count <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return self.regex.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        """The rule as the admin API shows it."""
        return {
            "id": self.id,
            "path": self.path,
            "status": self.status,
            "count": self.count,
            "delay": self.delay,
            "method": self.method,
            "message": self.message,
            "reset": self.reset,
            "after": self.after,
            "hits": self.hits,
        }


class FaultRules:
    """An ordered list of fault rules; the first matching rule wins and uses up one count."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> Fault:
        """Validate an admin-API fault spec and add it; raises ValidationError on bad input."""
        path = spec.get("path", "")
        if not isinstance(path, str):
            raise ValidationError("Field 'path' must be a regular expression string")
        status = spec.get("status")
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
        ):
            raise ValidationError("Field 'status' must be an HTTP status code")
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValidationError("Field 'count' must be a positive integer")
        delay = spec.get("delay", 0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 60:
            raise ValidationError("Field 'delay' must be a number of seconds between 0 and 60")
        reset = spec.get("reset", False)
        after = spec.get("after", False)
        for name, flag in (("reset", reset), ("after", after)):
            if not isinstance(flag, bool):
                raise ValidationError(f"Field '{name}' must be true or false")
        if reset and status is not None:
            raise ValidationError("A fault can reset the connection or answer a 'status', not both")
        if status is None and not delay and not reset:
            raise ValidationError("A fault needs a 'status', a 'delay', 'reset', or a combination")
        method = spec.get("method")
        if method is not None and not isinstance(method, str):
            raise ValidationError("Field 'method' must be a string")
        message = spec.get("message")
        if message is not None and not isinstance(message, str):
            raise ValidationError("Field 'message' must be a string")
        try:
            fault = Fault(
                next(self._ids), path, status, count, float(delay), method, message, reset, after
            )
        except re.error as exc:
            raise ValidationError(f"Field 'path' is not a valid regular expression: {exc}") from exc
        self._rules.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first rule matching the request, if any."""
        for fault in self._rules:
            if fault.matches(method, path):
                fault.count -= 1
                fault.hits += 1
                if fault.count <= 0:
                    self._rules.remove(fault)
                return fault
        return None

    def all(self) -> list[Fault]:
        """The rules that still have uses left."""
        return list(self._rules)

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()
