"""Security suite fixtures: the deploy bot installed, row counts, and a leak guard.

The leak guard (autouse) captures every log record at DEBUG and every response body the tests
look at, records every secret and token the emulator hands out, and fails the test if any of
them, or anything shaped like a JWT, shows up in a log line or an error body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

import addon.emulator.state.oauth as emulator_oauth
from addon.extension import EXTENSION_KEY
from addon.store import Installation, OutboxMessage, RoomWebhook, Token
from addon.store.models import SeenKey
from tests.e2e.conftest import deploybot, installed  # noqa: F401  (shared fixtures)

JWT_SHAPE = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")


class LeakGuard(logging.Handler):
    """Collects formatted log lines and response bodies; knows every issued secret."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.bodies: list[str] = []
        self.secrets: set[str] = set()
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def body(self, response: requests.Response) -> requests.Response:
        """Remember a response's body for the final search; returns the response."""
        self.bodies.append(response.text)
        return response

    def leaks(self) -> list[str]:
        """Every captured line or body holding a secret, a token or a JWT."""
        found = []
        for text in self.lines + self.bodies:
            if JWT_SHAPE.search(text) or any(s in text for s in self.secrets):
                found.append(text[:300])
        return found


@pytest.fixture(autouse=True)
def leak_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[LeakGuard]:
    """Capture all loggers at DEBUG for the test; fail it on any leaked secret, token or JWT."""
    guard = LeakGuard()
    real = emulator_oauth.new_secret

    def recording(length: int = 40) -> str:
        value = real(length)
        if length == 40:  # OAuth secrets and access/refresh tokens (not one-time URL tokens)
            guard.secrets.add(value)
        return value

    monkeypatch.setattr(emulator_oauth, "new_secret", recording)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(guard)
    root.setLevel(logging.DEBUG)
    try:
        yield guard
    finally:
        root.removeHandler(guard)
        root.setLevel(previous)
    assert guard.leaks() == []


def counts(live: Any) -> dict[str, int]:
    """Rows per framework table of a served add-on."""
    store = live.app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)))
            for model in (Installation, Token, RoomWebhook, SeenKey, OutboxMessage)
        }
