"""``claim_chain``: a webhook's JWT id and delivery key claimed together, in one round trip."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from addon.auth import Claims, JWTError
from addon.config import Settings
from addon.dedupe import claim_webhook
from addon.events import parse_event
from addon.once import DatabaseOnce, OnceKey, OnceStore, RedisOnce
from addon.store import Store, migrate
from addon.store.models import SeenKey
from addon.testing import REDIS_TEST_URL

SETTINGS = Settings(base_url="http://a", database_url="sqlite://", secret_keys=("k",))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(addon_database_url: str) -> Iterator[Store]:
    migrate.upgrade(addon_database_url)
    store = Store(addon_database_url, "k")
    yield store
    store.dispose()


@pytest.fixture
def database_once(store: Store, clock: Clock) -> DatabaseOnce:
    return DatabaseOnce(store, clock=clock)


@pytest.fixture
def redis_once(redis_prefix: str) -> Iterator[RedisOnce]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    yield RedisOnce(client, redis_prefix)
    client.close()


def keys(jti: str, delivery: str, expires_at: float) -> list[OnceKey]:
    return [
        OnceKey("jti", "inst", jti, expires_at),
        OnceKey("delivery", "inst", delivery, expires_at),
    ]


def check_chain(once: OnceStore, expires_at: float) -> None:
    assert once.claim_chain([]) == 0
    assert once.claim_chain(keys("j1", "d1", expires_at)) == 2
    # Replayed JWT: nothing claimed, so the delivery stays free for a genuine retry.
    assert once.claim_chain(keys("j1", "d2", expires_at)) == 0
    assert once.claim("delivery", "inst", "d2", expires_at)
    # Fresh JWT, duplicate delivery: the JWT is used up all the same.
    assert once.claim_chain(keys("j3", "d1", expires_at)) == 1
    assert not once.claim("jti", "inst", "j3", expires_at)


def test_database_chain_stops_at_the_first_seen_key(database_once: DatabaseOnce, clock: Clock):
    check_chain(database_once, clock.now + 60)


@pytest.mark.redis
def test_redis_chain_stops_at_the_first_seen_key(redis_once: RedisOnce):
    check_chain(redis_once, time.time() + 60)


def test_a_sqlite_chain_is_one_statement_and_one_commit(tmp_path: Path, clock: Clock):
    url = f"sqlite:///{tmp_path / 'once.db'}"
    migrate.upgrade(url)
    store = Store(url, "k")
    statements: list[str] = []
    sa_event.listen(
        store.engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(statements.append)
    )
    try:
        once = DatabaseOnce(store, clock=clock)
        once.claim_chain(keys("warm", "warm", clock.now + 60))  # the first purge
        statements.clear()
        assert once.claim_chain(keys("a", "b", clock.now + 60)) == 2
        assert once.claim_chain(keys("c", "b", clock.now + 60)) == 1  # slower: a clash
    finally:
        store.dispose()
    words = [statement.split()[0].upper() for statement in statements]
    assert words[:3] == ["BEGIN", "INSERT", "COMMIT"]
    assert statements[1].count("'inst'") == 2  # both keys in one INSERT
    # Stored like SQLAlchemy stores datetimes (the expiry comparisons are on text in SQLite).
    assert "+00:00" not in statements[1]


def test_database_chain_reclaims_expired_keys(
    database_once: DatabaseOnce, store: Store, clock: Clock
):
    assert database_once.claim_chain(keys("j", "d", clock.now + 10)) == 2
    assert database_once.claim_chain(keys("j", "d", clock.now + 10)) == 0
    clock.now += 11
    assert database_once.claim_chain(keys("j", "d", clock.now + 10)) == 2
    # Expired JWT id but an unexpired delivery: the JWT is claimed, the delivery is a duplicate.
    assert database_once.claim("delivery", "inst", "long", clock.now + 100)
    clock.now += 11
    assert database_once.claim_chain(keys("j", "long", clock.now + 10)) == 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(SeenKey)) == 3  # j, d, long


def test_database_chain_takes_back_later_keys_after_a_replay(
    database_once: DatabaseOnce, store: Store, clock: Clock
):
    assert database_once.claim("jti", "inst", "seen", clock.now + 60)
    assert database_once.claim_chain(keys("seen", "fresh", clock.now + 60)) == 0
    with store.session() as session:
        kinds = session.scalars(select(SeenKey.kind).where(SeenKey.key == "fresh")).all()
    assert kinds == []


def test_database_concurrent_chains_have_one_winner(database_once: DatabaseOnce, clock: Clock):
    results: list[int] = []
    barrier = threading.Barrier(8)

    def claim(number: int) -> None:
        barrier.wait()
        # Distinct JWTs, one delivery: exactly one request may run the handler.
        results.append(database_once.claim_chain(keys(f"j{number}", "same", clock.now + 60)))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [1] * 7 + [2]


def message_event(message_id: str) -> object:
    return parse_event(
        {
            "event": "room_message",
            "oauth_client_id": "inst",
            "webhook_id": 7,
            "item": {
                "message": {"id": message_id, "message": "/status", "from": {"id": 1}},
                "room": {"id": 5, "name": "ops"},
            },
        }
    )


def test_claim_webhook_refuses_replays_and_skips_duplicates(database_once: DatabaseOnce):
    exp = time.time() + 60
    first = Claims(issuer="inst", user_id=None, raw={"jti": "j", "exp": exp})
    event = message_event("m1")
    assert claim_webhook(database_once, "inst", first, "t", event, SETTINGS)
    with pytest.raises(JWTError) as refused:
        claim_webhook(database_once, "inst", first, "t", message_event("m2"), SETTINGS)
    assert refused.value.status == 401
    second = Claims(issuer="inst", user_id=None, raw={"jti": "k", "exp": exp})
    assert not claim_webhook(database_once, "inst", second, "t", event, SETTINGS)
    # The replay above did not use up m2's delivery.
    third = Claims(issuer="inst", user_id=None, raw={"jti": "l", "exp": exp})
    assert claim_webhook(database_once, "inst", third, "t", message_event("m2"), SETTINGS)


def test_claim_webhook_reads_the_token_only_without_a_jti(database_once: DatabaseOnce):
    exp = time.time() + 60
    read: list[bool] = []

    def token() -> str:
        read.append(True)
        return "the.token.itself"

    with_jti = Claims(issuer="inst", user_id=None, raw={"jti": "j", "exp": exp})
    assert claim_webhook(database_once, "inst", with_jti, token, message_event("a"), SETTINGS)
    assert read == []
    without = Claims(issuer="inst", user_id=None, raw={"exp": exp})
    assert claim_webhook(database_once, "inst", without, token, message_event("b"), SETTINGS)
    assert read == [True]
    with pytest.raises(JWTError):
        claim_webhook(database_once, "inst", without, token, message_event("c"), SETTINGS)
