"""Duplicate deliveries run the handler once; a replayed JWT is refused on every backend."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from addon.auth import sign_jwt
from addon.testing import REDIS_TEST_URL
from tests.e2e.conftest import LOBBY
from tests.security.conftest import counts


@pytest.fixture
def bot(serve_addon, addon_database_url):
    """The deploy bot on SQLite and on PostgreSQL, with a one-second body-hash dedupe window."""
    import wsgi

    return serve_addon(wsgi.create_app, database_url=addon_database_url, ADDON_DEDUPE_BODY_TTL=1)


@pytest.fixture
def hooked(emulator, bot) -> tuple[str, str]:
    """(oauth_id, secret) of the bot installed into the Lobby."""
    installed = emulator.install(f"{bot.url}/addon/descriptor", room=LOBBY)
    return installed["oauthId"], emulator.state.get_client(installed["oauthId"]).secret


def message(oauth_id: str, message_id: str, text: str = "/deploy staging", webhook_id: int = 1):
    return {
        "event": "room_message",
        "item": {
            "message": {"id": message_id, "message": text, "from": {"id": 2, "name": "Bob"}},
            "room": {"id": LOBBY, "name": "Lobby"},
        },
        "oauth_client_id": oauth_id,
        "webhook_id": webhook_id,
    }


def deliver(live, oauth_id, secret, body, key="deploy"):
    token = sign_jwt(oauth_id, secret, sub="2")  # HipChat signs each delivery afresh
    return requests.post(
        f"{live.url}/addon/webhook/{key}",
        json=body,
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )


def sent(emulator) -> int:
    return len(emulator.requests_to(r"/notification$", "POST"))


def test_the_same_message_delivered_twice_runs_once(emulator, bot, hooked):
    oauth_id, secret = hooked
    body = message(oauth_id, str(uuid.uuid4()))
    first = deliver(bot, oauth_id, secret, body)
    assert first.status_code == 200
    assert first.json()["message"] == "staging deployed"
    assert sent(emulator) == 1  # the handler's event.reply()
    second = deliver(bot, oauth_id, secret, body)
    assert second.status_code == 204
    assert sent(emulator) == 1


def test_another_message_or_another_webhook_runs_again(emulator, bot, hooked):
    oauth_id, secret = hooked
    message_id = str(uuid.uuid4())
    assert deliver(bot, oauth_id, secret, message(oauth_id, message_id)).status_code == 200
    other = message(oauth_id, str(uuid.uuid4()))
    assert deliver(bot, oauth_id, secret, other).status_code == 200
    by_other_hook = message(oauth_id, message_id, webhook_id=2)
    assert deliver(bot, oauth_id, secret, by_other_hook).status_code == 200
    assert sent(emulator) == 3


def test_concurrent_duplicates_run_once(emulator, bot, hooked):
    oauth_id, secret = hooked
    body = message(oauth_id, str(uuid.uuid4()))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: deliver(bot, oauth_id, secret, body), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [204] * 7
    assert sent(emulator) == 1


def test_events_without_ids_are_deduplicated_by_body_for_a_while(emulator, bot, hooked):
    oauth_id, secret = hooked
    enter = {
        "event": "room_enter",
        "item": {"room": {"id": LOBBY, "name": "Lobby"}, "sender": {"id": 2, "name": "Bob"}},
        "oauth_client_id": oauth_id,
        "webhook_id": 3,
    }
    assert deliver(bot, oauth_id, secret, enter, key="greet").status_code == 200
    assert deliver(bot, oauth_id, secret, enter, key="greet").status_code == 204
    time.sleep(1.1)  # ADDON_DEDUPE_BODY_TTL=1: a later identical event is a new one
    assert deliver(bot, oauth_id, secret, enter, key="greet").status_code == 200


def test_replays_are_refused_on_this_backend(emulator, bot, hooked):
    oauth_id, secret = hooked
    token = sign_jwt(oauth_id, secret, sub="2")
    url = f"{bot.url}/addon/webhook/status"
    headers = {"Authorization": f"JWT {token}"}
    body = message(oauth_id, str(uuid.uuid4()), "/status")
    assert requests.post(url, json=body, headers=headers, timeout=5).status_code == 200
    again = requests.post(url, json=body, headers=headers, timeout=5)
    assert again.status_code == 401
    assert counts(bot)["addon_seen_key"] == 2  # one jti, one delivery


def test_real_deliveries_from_the_emulator_are_not_mistaken_for_duplicates(emulator, bot, hooked):
    for _ in range(3):
        emulator.say(LOBBY, "/status")
    emulator.wait_idle()
    replies = [m for m in emulator.history(LOBBY) if m["message"].startswith("Deploy Bot is up")]
    assert len(replies) == 3


@pytest.mark.redis
def test_with_redis_replays_and_duplicates_are_kept_in_redis(emulator, serve_addon, redis_prefix):
    import wsgi

    live = serve_addon(
        wsgi.create_app, ADDON_REDIS_URL=REDIS_TEST_URL, ADDON_REDIS_PREFIX=redis_prefix
    )
    installed = emulator.install(f"{live.url}/addon/descriptor", room=LOBBY)
    oauth_id = installed["oauthId"]
    secret = emulator.state.get_client(oauth_id).secret
    body = message(oauth_id, str(uuid.uuid4()))
    assert deliver(live, oauth_id, secret, body).status_code == 200
    assert deliver(live, oauth_id, secret, body).status_code == 204
    token = sign_jwt(oauth_id, secret, sub="2")
    url = f"{live.url}/addon/webhook/status"
    headers = {"Authorization": f"JWT {token}"}
    status = message(oauth_id, str(uuid.uuid4()), "/status")
    assert requests.post(url, json=status, headers=headers, timeout=5).status_code == 200
    assert requests.post(url, json=status, headers=headers, timeout=5).status_code == 401
    assert counts(live)["addon_seen_key"] == 0  # nothing in the database: Redis holds them
    keys = redis.Redis.from_url(REDIS_TEST_URL).keys(f"{redis_prefix}seen:*")
    assert len(keys) == 5  # three JWT ids and two delivery keys (the duplicate adds none)
