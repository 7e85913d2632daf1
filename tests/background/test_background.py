"""Background handlers: HipChat gets 204 at once, the handler runs later in its own app
context (thread pool, or an RQ worker fed through Redis); a failure is logged with the event's
ids and the runner keeps going."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from addon import background
from addon.extension import EXTENSION_KEY
from addon.testing import REDIS_TEST_URL
from tests.background import bot
from tests.e2e.conftest import LOBBY, notifications

REPO = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def deliveries(emulator) -> list[dict]:
    return emulator.admin("GET", "deliveries").json()["items"]


@pytest.fixture
def served(serve_addon, addon_database_url):
    """The background bot served (thread runner) on each database backend."""
    return serve_addon(bot.create_app, database_url=addon_database_url)


def test_thread_runner_answers_first_then_runs_the_handler(emulator, served, caplog):
    emulator.install(f"{served.url}/addon/descriptor", room=LOBBY)
    bot.release.clear()
    try:
        emulator.say(LOBBY, "/slow report")
        wait_for(lambda: any(d.get("status") for d in deliveries(emulator)))
        [delivery] = deliveries(emulator)
        assert delivery["status"] == 204  # answered while the handler is still waiting
        assert notifications(emulator) == []
    finally:
        bot.release.set()
    wait_for(lambda: len(notifications(emulator)) == 2)
    assert notifications(emulator) == ["working on /slow report", "slow job done"]

    caplog.set_level(logging.INFO)
    emulator.say(LOBBY, "/boom")
    emulator.say(LOBBY, "/slow again")
    wait_for(lambda: len(notifications(emulator)) == 4)
    failed = [r for r in caplog.records if "blew up" in (r.exc_text or "") or r.exc_info]
    assert failed, "the failing handler was not logged"
    message = failed[0].getMessage()
    assert "installation=" in message
    assert f"room={LOBBY}" in message


@pytest.mark.redis
def test_rq_runner_with_a_real_worker(emulator, serve_addon, addon_database_url, monkeypatch):
    queue_name = f"addon-test-{uuid.uuid4().hex[:8]}"
    settings = {
        "ADDON_BACKGROUND": "rq",
        "ADDON_REDIS_URL": REDIS_TEST_URL,
        "ADDON_REDIS_PREFIX": f"{queue_name}:",
        "ADDON_RQ_QUEUE": queue_name,
        "ADDON_BACKGROUND_APP": "tests.background.bot:create_app",
    }
    served = serve_addon(bot.create_app, database_url=addon_database_url, **settings)
    emulator.install(f"{served.url}/addon/descriptor", room=LOBBY)
    connection = Redis.from_url(REDIS_TEST_URL)
    queue = Queue(queue_name, connection=connection)
    try:
        emulator.say(LOBBY, "/boom")  # fails first; the worker must carry on
        emulator.say(LOBBY, "/slow via rq")
        emulator.wait_idle()
        assert [d["status"] for d in deliveries(emulator)] == [204, 204]
        assert len(queue) == 2
        assert notifications(emulator) == []  # nothing runs until a worker takes the jobs

        # The worker builds its own app from the environment, as on another machine.
        runtime = served.app.extensions[EXTENSION_KEY]
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("ADDON_DATABASE_URL", addon_database_url)
        monkeypatch.setenv("ADDON_SECRET_KEY", "test-secret-key")
        monkeypatch.setenv("ADDON_BASE_URL", served.url)
        monkeypatch.setenv("ADDON_TRUSTED_HOSTS", emulator.host)
        monkeypatch.setattr(background, "_apps", {})
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert len(queue) == 0
        assert notifications(emulator) == ["working on /slow via rq", "slow job done"]
        assert runtime.settings.background == "rq"
        for app in background._apps.values():
            app.extensions[EXTENSION_KEY].close()
    finally:
        queue.delete(delete_jobs=True)
        connection.close()


@pytest.mark.redis
def test_the_documented_rq_worker_command_runs_the_jobs(emulator, serve_addon, addon_database_url):
    """``rq worker -w rq.SimpleWorker -u $ADDON_REDIS_URL <queue> --burst`` in its own process."""
    queue_name = f"addon-test-{uuid.uuid4().hex[:8]}"
    settings = {
        "ADDON_BACKGROUND": "rq",
        "ADDON_REDIS_URL": REDIS_TEST_URL,
        "ADDON_REDIS_PREFIX": f"{queue_name}:",
        "ADDON_RQ_QUEUE": queue_name,
        "ADDON_BACKGROUND_APP": "tests.background.bot:create_app",
    }
    served = serve_addon(bot.create_app, database_url=addon_database_url, **settings)
    emulator.install(f"{served.url}/addon/descriptor", room=LOBBY)
    connection = Redis.from_url(REDIS_TEST_URL)
    queue = Queue(queue_name, connection=connection)
    try:
        emulator.say(LOBBY, "/slow from another process")
        emulator.wait_idle()
        assert len(queue) == 1
        env = {
            **os.environ,
            **settings,
            "ADDON_DATABASE_URL": addon_database_url,
            "ADDON_SECRET_KEY": "test-secret-key",
            "ADDON_BASE_URL": served.url,
            "ADDON_TRUSTED_HOSTS": emulator.host,
        }
        rq = Path(sys.executable).parent / "rq"
        command = [str(rq), "worker", "-w", "rq.SimpleWorker", "-u", REDIS_TEST_URL, "--burst"]
        done = subprocess.run(
            [*command, queue_name], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert len(queue) == 0
        assert notifications(emulator) == ["working on /slow from another process", "slow job done"]
    finally:
        queue.delete(delete_jobs=True)
        connection.close()
