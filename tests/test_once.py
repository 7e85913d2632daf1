"""Once-only keys on each backend (SQLite, PostgreSQL, Redis) and the keys dedupe derives."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from addon.auth import Claims, JWTError
from addon.config import Settings
from addon.dedupe import delivery_key, first_delivery, jwt_key, refuse_replay
from addon.events import parse_event
from addon.once import DatabaseOnce, RedisOnce
from addon.store import Store, migrate
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
def database_once(addon_database_url: str, clock: Clock) -> Iterator[DatabaseOnce]:
    migrate.upgrade(addon_database_url)
    store = Store(addon_database_url, "k")
    yield DatabaseOnce(store, clock=clock)
    store.dispose()


@pytest.fixture
def redis_once(redis_prefix: str) -> Iterator[RedisOnce]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    yield RedisOnce(client, redis_prefix)
    client.close()


def test_database_first_claim_wins_until_expiry(database_once: DatabaseOnce, clock: Clock):
    assert database_once.claim("jti", "inst", "abc", clock.now + 60)
    assert not database_once.claim("jti", "inst", "abc", clock.now + 60)
    assert database_once.claim("jti", "other", "abc", clock.now + 60)  # per installation
    assert database_once.claim("delivery", "inst", "abc", clock.now + 60)  # per kind
    clock.now += 61
    assert database_once.claim("jti", "inst", "abc", clock.now + 60)  # expired: new again
    assert not database_once.claim("jti", "inst", "abc", clock.now + 60)


def test_database_purge_removes_only_expired(database_once: DatabaseOnce, clock: Clock):
    database_once.claim("jti", "inst", "short", clock.now + 1)
    database_once.claim("jti", "inst", "long", clock.now + 100)
    clock.now += 10
    assert database_once.purge() == 1
    assert not database_once.claim("jti", "inst", "long", clock.now + 100)


def test_database_long_keys_are_hashed(database_once: DatabaseOnce, clock: Clock):
    key = "k" * 5000
    assert database_once.claim("jti", "inst", key, clock.now + 60)
    assert not database_once.claim("jti", "inst", key, clock.now + 60)
    assert database_once.claim("jti", "inst", key + "x", clock.now + 60)


def test_database_concurrent_claims_have_one_winner(database_once: DatabaseOnce, clock: Clock):
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(database_once.claim("delivery", "inst", "same", clock.now + 60))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


@pytest.mark.redis
def test_redis_first_claim_wins_until_expiry(redis_once: RedisOnce):
    assert redis_once.claim("jti", "inst", "abc", time.time() + 60)
    assert not redis_once.claim("jti", "inst", "abc", time.time() + 60)
    assert redis_once.claim("jti", "other", "abc", time.time() + 60)
    assert redis_once.claim("jti", "inst", "short", time.time() + 0.05)
    time.sleep(0.1)
    assert redis_once.claim("jti", "inst", "short", time.time() + 60)
    ttl = redis_once.redis.pttl(f"{redis_once.prefix}seen:jti:inst:abc")
    assert 0 < ttl <= 60_000


def claims(**raw) -> Claims:
    return Claims(issuer="inst", user_id=None, raw={"iss": "inst", **raw})


def test_jwt_key_prefers_jti_and_falls_back_to_the_token_hash():
    assert jwt_key(claims(jti="x1"), "token") == "jti:x1"
    assert jwt_key(claims(jti=""), "token").startswith("sha256:")
    assert jwt_key(claims(), "a") != jwt_key(claims(), "b")


def test_refuse_replay_records_until_exp_plus_leeway(database_once: DatabaseOnce, clock: Clock):
    exp = int(clock.now) + 30
    refuse_replay(database_once, "inst", claims(jti="j", exp=exp), "t", SETTINGS)
    with pytest.raises(JWTError) as info:
        refuse_replay(database_once, "inst", claims(jti="j", exp=exp), "t", SETTINGS)
    assert info.value.status == 401
    clock.now = exp + SETTINGS.jwt_leeway - 1  # still acceptable to verify_jwt: still refused
    with pytest.raises(JWTError):
        refuse_replay(database_once, "inst", claims(jti="j", exp=exp), "t", SETTINGS)


def test_delivery_keys():
    message = {
        "event": "room_message",
        "item": {"message": {"id": "m-1", "message": "hi"}, "room": {"id": 1}},
        "webhook_id": 7,
    }
    assert delivery_key(parse_event(message)) == ("room_message:7:m-1", True)
    enter = {"event": "room_enter", "item": {"room": {"id": 1}, "sender": {"id": 2}}}
    key, by_id = delivery_key(parse_event(enter))
    assert not by_id
    reordered = {"item": {"sender": {"id": 2}, "room": {"id": 1}}, "event": "room_enter"}
    assert delivery_key(parse_event(reordered))[0] == key  # canonical JSON: order ignored
    other = {"event": "room_enter", "item": {"room": {"id": 1}, "sender": {"id": 3}}}
    assert delivery_key(parse_event(other))[0] != key


def test_a_zero_ttl_turns_deduplication_off(database_once: DatabaseOnce):
    off = Settings(base_url="http://a", database_url="sqlite://", secret_keys=("k",), dedupe_ttl=0)
    event = parse_event(
        {"event": "room_message", "item": {"message": {"id": "m"}}, "webhook_id": 1}
    )
    assert first_delivery(database_once, "inst", event, off)
    assert first_delivery(database_once, "inst", event, off)
    assert first_delivery(database_once, "inst", event, SETTINGS)
    assert not first_delivery(database_once, "inst", event, SETTINGS)
