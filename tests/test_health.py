"""``GET /healthz``: 200 when the database is reachable and migrated, 503 naming the problem."""

from __future__ import annotations

import pytest
from flask import Flask

from addon import Addon
from addon.store import migrate
from addon.testing import REDIS_TEST_URL


def make_app(database_url: str, **config: str) -> Flask:
    app = Flask(__name__)
    app.config.update(
        ADDON_SECRET_KEY="k",
        ADDON_DATABASE_URL=database_url,
        ADDON_BASE_URL="https://bot.example.com",
        **config,
    )
    Addon(app, key="com.example.health", name="Health bot")
    return app


def test_healthy_after_migrations_and_503_before(addon_database_url):
    app = make_app(addon_database_url)
    client = app.test_client()
    pending = client.get("/healthz")
    assert pending.status_code == 503
    assert pending.json["status"] == "unavailable"
    assert pending.json["database"] == "ok"
    assert pending.json["migrations"].startswith("pending")
    migrate.upgrade(addon_database_url)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json == {"status": "ok", "database": "ok", "migrations": "current"}
    assert healthy.headers["Cache-Control"] == "no-store"
    app.extensions["addon"].close()


def test_unreachable_database_is_503_without_the_url():
    app = make_app("postgresql+psycopg://watcher:pa55word@127.0.0.1:1/nowhere")
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json["database"].startswith("OperationalError")
    assert answer.json["migrations"] == "unknown"
    assert "pa55word" not in answer.get_data(as_text=True)


@pytest.mark.redis
def test_redis_is_checked_when_configured(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    migrate.upgrade(url)
    up = make_app(url, ADDON_REDIS_URL=REDIS_TEST_URL).test_client().get("/healthz")
    assert up.status_code == 200
    assert up.json["redis"] == "ok"
    down = make_app(url, ADDON_REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/healthz")
    assert down.status_code == 503
    assert down.json["redis"].startswith("ConnectionError")
