"""The example add-on under gunicorn with 4 workers and PostgreSQL: 500 concurrent signed
webhooks that reply through the API are all answered, and only the install's proof token is
ever requested from HipChat (the token is cached in the database and shared by the workers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import select

import wsgi
from addon.auth import sign_jwt
from addon.emulator import create_app as create_emulator
from addon.store import Installation, Store, migrate
from addon.testing import REDIS_TEST_URL, EmulatorHandle, serve, temporary_postgres_database
from tests.e2e.conftest import LOBBY

REPO = Path(__file__).resolve().parents[2]
WEBHOOKS = 500
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def busy_emulator() -> Iterator[EmulatorHandle]:
    """An emulator whose rate and flood limits let 500 notifications through."""
    live = serve(create_emulator({"EMULATOR_RATE_LIMIT": 100_000, "EMULATOR_FLOOD_LIMIT": 100_000}))
    handle = EmulatorHandle(live)
    yield handle
    handle.wait_idle()
    live.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["postgres", pytest.param("postgres+redis", marks=pytest.mark.redis)])
def gunicorn_bot(
    request: pytest.FixtureRequest, busy_emulator: EmulatorHandle, tmp_path: Path, redis_prefix: str
) -> Iterator[tuple[str, Path, str]]:
    """wsgi:app under ``gunicorn -c gunicorn.conf.py`` with 4 workers on a fresh PostgreSQL,
    without and with the Redis token cache."""
    extra = {}
    if request.param == "postgres+redis":
        extra = {"ADDON_REDIS_URL": REDIS_TEST_URL, "ADDON_REDIS_PREFIX": redis_prefix}
    with temporary_postgres_database() as database_url:
        migrate.upgrade(database_url)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "ADDON_BASE_URL": url,
            "ADDON_TRUSTED_HOSTS": busy_emulator.host,
            "ADDON_DATABASE_URL": database_url,
            "ADDON_SECRET_KEY": "gunicorn-test-key",
            # The emulator's limits are lifted; the outbox's own limiter must be too.
            "ADDON_FLOOD_LIMIT": "100000",
            "ADDON_RATE_LIMIT": "100000",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "4",
            "GUNICORN_GRACEFUL_TIMEOUT": "3",
            **extra,
        }
        log = (tmp_path / "gunicorn.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                try:
                    health = requests.get(f"{url}/healthz", timeout=2)
                    if health.ok:
                        assert health.json()["migrations"] == "current"
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                time.sleep(0.1)
            yield url, tmp_path / "gunicorn.log", database_url
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            log.close()


def webhook_body(oauth_id: str, n: int) -> dict:
    sender = {"id": 2, "name": "Bob Builder", "mention_name": "bob", "links": {}}
    return {
        "event": "room_message",
        "oauth_client_id": oauth_id,
        "webhook_id": 1,
        "item": {
            "message": {
                "id": str(uuid.uuid4()),
                "date": "2026-01-01T00:00:00+00:00",
                "from": sender,
                "mentions": [],
                "message": f"/deploy {('staging', 'qa', 'production')[n % 3]}",
                "type": "message",
            },
            "room": {"id": LOBBY, "name": "Lobby", "links": {}},
        },
    }


def test_500_concurrent_webhooks_four_workers_one_token(
    busy_emulator, gunicorn_bot, capsys, request, redis_prefix
):
    gunicorn_bot, log_path, database_url = gunicorn_bot
    label = request.node.callspec.params["gunicorn_bot"]
    installed = busy_emulator.install(f"{gunicorn_bot}/addon/descriptor", room=LOBBY)
    oauth_id = installed["oauthId"]
    secret = busy_emulator.state.get_client(oauth_id).secret
    hook_url = f"{gunicorn_bot}/addon/webhook/deploy"
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

    def send(n: int) -> tuple[int, str]:
        jwt = sign_jwt(oauth_id, secret, sub=2, context={"room_id": LOBBY})
        response = session.post(
            hook_url,
            json=webhook_body(oauth_id, n),
            headers={"Authorization": f"JWT {jwt}"},
            timeout=30,
        )
        return response.status_code, response.text

    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(send, range(WEBHOOKS)))
    elapsed = time.monotonic() - started
    session.close()  # no idle keep-alive connections to hold up gunicorn's shutdown
    failures = [a for a in answers if not 200 <= a[0] < 300]
    assert failures == []
    token_requests = busy_emulator.requests_to(r"/oauth/token$", "POST")
    notifications = busy_emulator.requests_to(rf"/room/{LOBBY}/notification$", "POST")
    with capsys.disabled():
        print(
            f"\ngunicorn 4 workers ({label}): {len(answers) - len(failures)}/{WEBHOOKS} "
            f"webhooks answered 2xx in {elapsed:.1f} s, {len(notifications)} API replies, "
            f"{len(token_requests)} token request(s) at the emulator"
        )
    assert len(notifications) == WEBHOOKS
    assert len(token_requests) == 1  # the install's proof, reused by every worker
    if label == "postgres+redis":
        cached = redis.Redis.from_url(REDIS_TEST_URL).keys(f"{redis_prefix}token:{oauth_id}:*")
        assert len(cached) == 1
    # Concurrent first installs of one new oauthId, spread over the 4 processes: one row.
    new_id, new_secret = busy_emulator.state.create_client(
        list(wsgi.SCOPES), group_id=1, room_id=LOBBY
    )
    payload = {
        "oauthId": new_id,
        "oauthSecret": new_secret,
        "capabilitiesUrl": f"{busy_emulator.url}/v2/capabilities",
        "groupId": 1,
        "roomId": LOBBY,
    }
    with ThreadPoolExecutor(16) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    requests.post(
                        f"{gunicorn_bot}/addon/installable", json=payload, timeout=30
                    ).status_code
                ),
                range(16),
            )
        )
    assert statuses == [201] * 16
    store = Store(database_url, "gunicorn-test-key")
    with store.session() as db:
        rows = db.scalars(select(Installation).where(Installation.oauth_id == new_id)).all()
        assert len(rows) == 1
        assert store.box.decrypt(rows[0].oauth_secret_encrypted) == new_secret
    store.dispose()

    # The access log names paths only: no query string (signed_request), no JWT, no secret.
    requests.get(
        f"{gunicorn_bot}/addon/configure?signed_request=eyJhbGciOiJIUzI1NiJ9.x.y", timeout=5
    )
    time.sleep(0.2)
    access_log = log_path.read_text()
    assert "/addon/webhook/deploy" in access_log
    assert "eyJ" not in access_log
    assert secret not in access_log
