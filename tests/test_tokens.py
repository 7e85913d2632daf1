"""Tokens: one mint per (installation, scope set), across threads and processes, on SQLite and
PostgreSQL, with and without the Redis cache; refused credentials delete the installation."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select

from addon.store import Installation, Store, Token, migrate
from addon.store.redis_cache import RedisTokenCache
from addon.testing import REDIS_TEST_URL, EmulatorHandle
from addon.tokens import InstallationGoneError, TokenManager

SECRET_KEY = "tokens-test-key"
SCOPES = "send_notification view_room"


@pytest.fixture(params=[None, pytest.param("redis", marks=pytest.mark.redis)])
def cache_mode(request: pytest.FixtureRequest) -> str | None:
    """Each token test runs without and with the shared Redis cache."""
    return request.param


@pytest.fixture
def migrated_url(addon_database_url: str) -> str:
    """A migrated database on each backend."""
    migrate.upgrade(addon_database_url)
    return addon_database_url


def make_manager(url: str, cache_mode: str | None, prefix: str) -> TokenManager:
    """A TokenManager as a worker process builds it (own engine, own HTTP session)."""
    store = Store(url, SECRET_KEY)
    cache = (
        RedisTokenCache(REDIS_TEST_URL, store.box, prefix=prefix) if cache_mode == "redis" else None
    )
    return TokenManager(store, requests.Session(), timeout=10, cache=cache)


@pytest.fixture
def installation(emulator: EmulatorHandle, migrated_url: str) -> Iterator[Installation]:
    """An installation known to the emulator and stored in the database."""
    oauth_id, secret = emulator.state.create_client(SCOPES.split(), group_id=1)
    store = Store(migrated_url, SECRET_KEY)
    now = datetime.now(UTC)
    row = Installation(
        oauth_id=oauth_id,
        oauth_secret_encrypted=store.box.encrypt(secret),
        group_id=1,
        room_id=None,
        capabilities_url=f"{emulator.url}/v2/capabilities",
        token_url=f"{emulator.url}/v2/oauth/token",
        api_url=emulator.api_url,
        scopes=SCOPES,
        created_at=now,
        updated_at=now,
    )
    with store.session() as session:
        session.add(row)
    yield row
    store.dispose()


def token_requests(emulator: EmulatorHandle) -> int:
    return len(emulator.requests_to(r"/oauth/token$", "POST"))


def _worker(url: str, cache_mode: str | None, prefix: str, oauth_id: str, start: Any, out: Any):
    manager = make_manager(url, cache_mode, prefix)
    with manager.store.session() as session:
        row = session.get(Installation, oauth_id)
    start.wait(10)
    try:
        out.put(manager.token(row))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put(f"error: {exc!r}")
    finally:
        manager.store.dispose()


def test_processes_mint_one_token(emulator, installation, migrated_url, cache_mode, redis_prefix):
    context = multiprocessing.get_context("fork")
    start = context.Event()
    out = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(migrated_url, cache_mode, redis_prefix, installation.oauth_id, start, out),
        )
        for _ in range(6)
    ]
    for worker in workers:
        worker.start()
    start.set()
    tokens = [out.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(10)
    assert all(not t.startswith("error") for t in tokens), tokens
    assert len(set(tokens)) == 1
    assert token_requests(emulator) == 1
    store = Store(migrated_url, SECRET_KEY)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Token)) == 1
    store.dispose()


def test_threads_and_second_manager_reuse_the_token(
    emulator, installation, migrated_url, cache_mode, redis_prefix
):
    first = make_manager(migrated_url, cache_mode, redis_prefix)
    second = make_manager(migrated_url, cache_mode, redis_prefix)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: first.token(installation), range(16)))
    assert len(tokens) == 1
    assert second.token(installation) in tokens
    # Another scope set is another token.
    assert second.token(installation, ["send_notification"]) not in tokens
    assert token_requests(emulator) == 2
    if cache_mode == "redis":
        cached = redis.Redis.from_url(REDIS_TEST_URL).keys(f"{redis_prefix}token:*")
        assert len(cached) == 2
        first.forget(installation.oauth_id)
        assert redis.Redis.from_url(REDIS_TEST_URL).keys(f"{redis_prefix}token:*") == []
    for manager in (first, second):
        manager.store.dispose()


def test_refused_credentials_delete_the_installation(
    emulator, installation, migrated_url, cache_mode, redis_prefix
):
    emulator.state.delete_client(installation.oauth_id)
    manager = make_manager(migrated_url, cache_mode, redis_prefix)
    with pytest.raises(InstallationGoneError):
        manager.token(installation)
    with manager.store.session() as session:
        assert session.get(Installation, installation.oauth_id) is None
    manager.store.dispose()


def test_expired_token_is_minted_again(emulator, installation, migrated_url, redis_prefix):
    now = [1_000_000_000.0]
    manager = make_manager(migrated_url, None, redis_prefix)
    manager.clock = lambda: now[0]
    token = manager.token(installation)
    now[0] += 10 * 365 * 86400  # long past any expiry
    assert manager.token(installation) != token
    assert token_requests(emulator) == 2
    with manager.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Token)) == 1
    manager.store.dispose()


def test_redis_down_falls_back_to_the_database_lock(emulator, installation, migrated_url):
    store = Store(migrated_url, SECRET_KEY)
    down = RedisTokenCache("redis://127.0.0.1:1/0", store.box, prefix="unused:")
    managers = [
        TokenManager(store, requests.Session(), timeout=10, cache=down),
        TokenManager(store, requests.Session(), timeout=10, cache=down),
    ]
    tokens = {manager.token(installation) for manager in managers}
    assert len(tokens) == 1
    assert token_requests(emulator) == 1
    managers[0].forget(installation.oauth_id)  # a warning, not an error
    store.dispose()


@pytest.mark.redis
def test_redis_entry_under_a_dropped_key_is_a_miss(redis_prefix):
    from addon.store import SecretBox

    old = RedisTokenCache(REDIS_TEST_URL, SecretBox(["old key"]), prefix=redis_prefix)
    old.put(("oauth-1", "send_notification"), "tok", 2e9, 1e9)
    both = SecretBox(["new key", "old key"])
    rotated = RedisTokenCache(REDIS_TEST_URL, both, prefix=redis_prefix)
    assert rotated.get(("oauth-1", "send_notification")) == ("tok", 2e9)
    dropped = RedisTokenCache(REDIS_TEST_URL, SecretBox(["new key"]), prefix=redis_prefix)
    assert dropped.get(("oauth-1", "send_notification")) is None
    assert dropped.purge() == 1
