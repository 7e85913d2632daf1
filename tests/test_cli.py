"""``flask addon ...``: each command works, and fails with one line and a non-zero exit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask

from addon import Addon
from addon.extension import EXTENSION_KEY
from addon.store import Installation, Token


@pytest.fixture
def app(tmp_path):
    app = Flask(__name__)
    app.config.update(
        ADDON_SECRET_KEY="k",
        ADDON_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        ADDON_BASE_URL="https://bot.example.com",
    )
    addon = Addon(app, key="com.example.cli", name="CLI bot")

    @addon.on("room_message", pattern="^/x")
    def x(event):
        return None

    return app


def run(app, *args):
    return app.test_cli_runner().invoke(args=["addon", *args])


def add_installation(app, oauth_id: str) -> None:
    rt = app.extensions[EXTENSION_KEY]
    now = datetime.now(UTC)
    with rt.store.session() as session:
        session.add(
            Installation(
                oauth_id=oauth_id,
                oauth_secret_encrypted=rt.store.box.encrypt("s3cret-value"),
                group_id=1,
                room_id=None,
                capabilities_url="https://api.hipchat.com/v2/capabilities",
                token_url="https://api.hipchat.com/v2/oauth/token",
                api_url="https://api.hipchat.com/v2/",
                scopes="send_notification",
                created_at=now,
                updated_at=now,
            )
        )
        session.add(
            Token(
                oauth_id=oauth_id,
                scopes="send_notification",
                access_token_encrypted=rt.store.box.encrypt("tok"),
                expires_at=now,
            )
        )


def test_descriptor_prints_and_checks(app):
    printed = run(app, "descriptor")
    assert printed.exit_code == 0
    assert json.loads(printed.output)["key"] == "com.example.cli"
    assert run(app, "descriptor", "--check").output.strip() == "ok"


def test_db_upgrade_then_installations(app):
    upgraded = run(app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "database at revision" in upgraded.output
    assert run(app, "installations", "list").output.strip() == "no installations"
    oauth_id = str(uuid.uuid4())
    add_installation(app, oauth_id)
    listed = run(app, "installations", "list")
    assert oauth_id in listed.output
    assert "global" in listed.output
    shown = run(app, "installations", "show", oauth_id)
    assert json.loads(shown.output)["oauth_id"] == oauth_id
    assert "s3cret" not in shown.output
    assert run(app, "tokens", "purge").output.strip() == "purged 1 token(s)"
    assert run(app, "installations", "remove", oauth_id).exit_code == 0
    assert run(app, "installations", "list").output.strip() == "no installations"


def test_errors_are_one_line_and_non_zero(app):
    run(app, "db", "upgrade")
    missing = run(app, "installations", "show", "nope")
    assert missing.exit_code != 0
    assert missing.output.strip() == "Error: no installation nope"
    removed = run(app, "installations", "remove", "nope")
    assert removed.exit_code != 0


def test_every_command_has_help(app):
    for args in (
        [],
        ["descriptor"],
        ["db", "upgrade"],
        ["installations", "list"],
        ["installations", "show"],
        ["installations", "remove"],
        ["tokens", "purge"],
        ["webhooks", "sync"],
        ["worker"],
        ["db"],
        ["installations"],
        ["tokens"],
        ["webhooks"],
    ):
        result = run(app, *args, "--help")
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def make_cli_app(database_url: str, **config: str) -> Flask:
    app = Flask(__name__)
    app.config.update(
        ADDON_SECRET_KEY="k", ADDON_DATABASE_URL=database_url, ADDON_BASE_URL="https://b.example"
    )
    app.config.update(config)
    Addon(app, key="com.example.cli2", name="CLI bot 2")
    return app


def test_unreachable_database_is_one_line_and_non_zero():
    app = make_cli_app("postgresql+psycopg://ops:hunter22@127.0.0.1:1/nowhere")
    for args in (["db", "upgrade"], ["installations", "list"], ["tokens", "purge"]):
        result = run(app, *args)
        assert result.exit_code == 1, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert lines[0].startswith("Error: cannot reach the database: "), lines[0]
        assert "hunter22" not in result.output
        assert "Traceback" not in result.output


def test_unmigrated_database_is_one_line(tmp_path):
    app = make_cli_app(f"sqlite:///{tmp_path / 'empty.db'}")
    result = run(app, "installations", "list")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: ")


def test_worker_without_rq_is_refused(app):
    result = run(app, "worker", "--burst")
    assert result.exit_code == 1
    assert "ADDON_BACKGROUND=rq" in result.output


@pytest.mark.redis
def test_tokens_purge_also_clears_the_redis_cache(tmp_path, redis_prefix):
    from addon.testing import REDIS_TEST_URL

    app = make_cli_app(
        f"sqlite:///{tmp_path / 'r.db'}",
        ADDON_REDIS_URL=REDIS_TEST_URL,
        ADDON_REDIS_PREFIX=redis_prefix,
    )
    assert run(app, "db", "upgrade").exit_code == 0
    oauth_id = str(uuid.uuid4())
    add_installation(app, oauth_id)
    cache = app.extensions[EXTENSION_KEY].tokens.cache
    cache.put((oauth_id, "send_notification"), "tok", 2e9, 1e9)
    assert cache.get((oauth_id, "send_notification")) == ("tok", 2e9)
    assert run(app, "tokens", "purge").output.strip() == "purged 1 token(s)"
    assert cache.get((oauth_id, "send_notification")) is None


@pytest.mark.redis
def test_worker_burst_on_an_empty_queue_exits_zero(tmp_path, redis_prefix):
    from addon.testing import REDIS_TEST_URL

    app = make_cli_app(
        f"sqlite:///{tmp_path / 'w.db'}",
        ADDON_REDIS_URL=REDIS_TEST_URL,
        ADDON_BACKGROUND="rq",
        ADDON_RQ_QUEUE=f"{redis_prefix}queue",
    )
    result = run(app, "worker", "--burst")
    assert result.exit_code == 0, result.output
    assert f"RQ worker on queue '{redis_prefix}queue' (burst)" in result.output
