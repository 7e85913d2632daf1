"""End-to-end fixtures: the example deploy bot served next to the emulator, installed or not."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from addon.testing import EmulatorHandle, LiveServer

# wsgi.py builds its module-level app from the environment at import time.
os.environ.setdefault("ADDON_SECRET_KEY", "e2e-import-only-secret")

LOBBY = 1  # the seeded public room


@pytest.fixture
def deploybot(serve_addon: Callable[..., LiveServer], addon_database_url: str) -> LiveServer:
    """The example add-on (wsgi.py), served and trusting this test's emulator; once on SQLite
    and once on PostgreSQL (``addon_database_url`` is parametrised over both)."""
    import wsgi

    return serve_addon(wsgi.create_app, database_url=addon_database_url)


@pytest.fixture
def installed(emulator: EmulatorHandle, deploybot: LiveServer) -> dict[str, Any]:
    """The deploy bot installed into the Lobby."""
    return emulator.install(f"{deploybot.url}/addon/descriptor", room=LOBBY)


def notifications(emulator: EmulatorHandle, room: int | str = LOBBY) -> list[str]:
    """The texts of the notifications in ``room``, oldest first."""
    return [m["message"] for m in emulator.history(room) if m.get("type") == "notification"]
