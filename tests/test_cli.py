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
    ):
        result = run(app, *args, "--help")
        assert result.exit_code == 0, args
        assert "Usage" in result.output
