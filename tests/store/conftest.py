"""Fixtures for the store tests: migrated SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from addon.store import Installation, Store, migrate
from tests.store.postgres import temporary_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A file database in a directory that does not exist yet."""
    return f"sqlite:///{tmp_path}/state/addon.db"


@pytest.fixture
def store(addon_database_url: str) -> Iterator[Store]:
    """A migrated store, once on SQLite and once on a throw-away PostgreSQL database."""
    store = Store(addon_database_url, "test passphrase")
    migrate.upgrade(addon_database_url)
    yield store
    store.dispose()


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A migrated store on a fresh PostgreSQL database."""
    with temporary_database() as url:
        store = Store(url, "test passphrase")
        migrate.upgrade(url)
        yield store
        store.dispose()


@pytest.fixture
def make_installation() -> Callable[..., Installation]:
    """Build an Installation with sensible defaults (``store`` encrypts the secret)."""

    def factory(store: Store, oauth_id: str = "oauth-1", **fields: object) -> Installation:
        values: dict[str, object] = {
            "oauth_id": oauth_id,
            "oauth_secret_encrypted": store.box.encrypt("s3cret-value-of-the-installation"),
            "group_id": 42,
            "group_name": "Example",
            "room_id": None,
            "capabilities_url": "https://hc.example/v2/capabilities",
            "token_url": "https://hc.example/v2/oauth/token",
            "api_url": "https://hc.example/v2/",
            "scopes": "send_notification view_room",
        }
        values.update(fields)
        return Installation(**values)

    return factory
