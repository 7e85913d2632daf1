"""Handlers registered as room webhooks through the REST API (§5.6, §6.5): install, sync, remove."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from addon import Addon
from addon.extension import EXTENSION_KEY
from addon.store import RoomWebhook
from tests.e2e.conftest import LOBBY, notifications


def create_app(config):
    app = Flask(__name__)
    app.config.update(config)
    addon = Addon(
        app,
        key="com.example.hooks",
        name="Hooks",
        scopes=["send_notification", "admin_room"],
    )

    @addon.on("room_message", pattern=r"^/hook\b", room_webhook=True)
    def hook(event):
        return f"hooked {event.message.text}"

    return app


def rows(addon_live) -> list[RoomWebhook]:
    store = addon_live.app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        return list(session.scalars(select(RoomWebhook)))


def room_hooks(emulator) -> list[dict]:
    return list(emulator.client("admin_room").room(LOBBY).webhook().iter_all())


def test_room_install_registers_the_hook_and_it_fires(emulator, serve_addon, addon_database_url):
    live = serve_addon(create_app, database_url=addon_database_url)
    installed = emulator.install(f"{live.url}/addon/descriptor", room=LOBBY)
    [row] = rows(live)
    assert row.room_id == LOBBY
    assert row.handler_key == "hook"
    listed = [h for h in room_hooks(emulator) if h["url"] == f"{live.url}/addon/webhook/hook"]
    assert [h["id"] for h in listed] == [row.webhook_id]
    doc = emulator.http.get(f"{live.url}/addon/descriptor", timeout=5).json()
    assert "webhook" not in doc["capabilities"]

    emulator.say(LOBBY, "/hook me")
    emulator.wait_idle()
    assert notifications(emulator)[-1] == "hooked /hook me"

    emulator.uninstall(installed["oauthId"])
    assert rows(live) == []


def test_webhooks_sync_recreates_a_deleted_hook_and_removes_strays(
    emulator, serve_addon, addon_database_url
):
    live = serve_addon(create_app, database_url=addon_database_url)
    emulator.install(f"{live.url}/addon/descriptor", room=LOBBY)
    [row] = rows(live)
    admin = emulator.client("admin_room")
    admin.room(LOBBY).webhook(row.webhook_id).delete()
    stray = (
        admin.room(LOBBY)
        .webhook()
        .create(f"{live.url}/addon/webhook/old-handler", "room_enter", name="old")
    )

    result = live.app.test_cli_runner().invoke(args=["addon", "webhooks", "sync"])
    assert result.exit_code == 0, result.output
    assert "created 1, deleted 1, kept 0" in result.output
    [new_row] = rows(live)
    assert new_row.webhook_id != row.webhook_id
    ids = {h["id"] for h in room_hooks(emulator)}
    assert new_row.webhook_id in ids
    assert stray.data["id"] not in ids

    again = live.app.test_cli_runner().invoke(args=["addon", "webhooks", "sync"])
    assert "created 0, deleted 0, kept 1" in again.output
