"""A small add-on with background handlers, importable by an RQ worker as
``tests.background.bot:create_app`` (it reads its ADDON_* settings from the environment)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask

from addon import Addon, Notification
from addon.events import RoomMessage

addon = Addon(key="com.example.background", name="Background Bot", scopes=["send_notification"])
#: Tests set this to hold the slow handler until they have seen the webhook answered.
release = threading.Event()
release.set()


@addon.on("room_message", pattern=r"^/slow\b", background=True)
def slow(event: RoomMessage) -> Notification:
    """Wait for the test's go, reply through the API, and return a reply (sent through the API)."""
    release.wait(10)
    event.reply(f"working on {event.message.text if event.message else '?'}")
    return Notification("slow job done", color="green", message_format="text")


@addon.on("room_message", pattern=r"^/boom\b", background=True)
def boom(event: RoomMessage) -> None:
    """Always fails: the runner must log it and carry on."""
    raise RuntimeError("the background handler blew up")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The bot as a Flask app; ``config`` overrides ADDON_* keys from the environment."""
    app = Flask(__name__)
    app.config.update(config or {})
    addon.init_app(app)
    return app
