"""Fixtures for the emulator tests: a fresh emulator on a real socket, and a thin HTTP helper.

Tests talk to it with plain ``requests`` only, so they check the emulator against HIPCHAT.md
independently of our own client library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from addon.emulator import create_app
from addon.testing import LiveServer, serve
from tests.emulator.helpers import Hub


@pytest.fixture
def make_hub(serve_app: Callable[..., LiveServer]) -> Callable[..., Hub]:
    """Factory: ``make_hub(config)`` serves a new emulator app with that config."""

    def factory(config: dict[str, Any] | None = None, **serve_kwargs: Any) -> Hub:
        return Hub(serve_app(create_app(config), **serve_kwargs))

    return factory


@pytest.fixture(scope="session")
def shared_live() -> Iterator[LiveServer]:
    """One default emulator served for the whole session (creating apps costs ~40 ms each)."""
    live = serve(create_app())
    yield live
    live.stop()


@pytest.fixture
def hub(shared_live: LiveServer) -> Hub:
    """A seeded emulator with default limits, reset to its seed state for this test."""
    state = shared_live.app.extensions["emulator"]
    state.reset()
    state.unsubscribe_all()
    return Hub(shared_live)


@pytest.fixture
def admin_token(hub: Hub) -> str:
    """A token with every scope, acting as Ada (user 1, the group owner)."""
    return hub.token()
