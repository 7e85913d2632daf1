"""The example add-on: a deploy bot. ``gunicorn wsgi:app`` serves it; ``make run`` demos it.

Settings come from the environment (``ADDON_BASE_URL``, ``ADDON_SECRET_KEY``,
``ADDON_DATABASE_URL``, ``ADDON_TRUSTED_HOSTS``, ...); see the README.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template

from addon import Addon, Notification
from addon.events import RoomEnter, RoomMessage
from addon.pages import Page

TARGETS = ("staging", "production", "qa")
#: view_messages lets the reply outbox check the room's history before resending a send whose
#: answer was lost, so a reply is never posted twice.
SCOPES = ("send_notification", "view_room", "view_messages")

addon = Addon(
    key="com.example.deploybot",
    name="Deploy Bot",
    description="Deploys from the chat room: /deploy <target>, /status",
    vendor={"name": "Example", "url": "https://example.com"},
    scopes=SCOPES,
    from_name="Deploy Bot",
)


@addon.on("room_message", pattern=r"^/deploy(?:\s+(?P<target>\S+))?\s*$")
def deploy(event: RoomMessage) -> Notification:
    """Announce the deploy through the room API, then answer in the webhook response."""
    target = event.match["target"] if event.match else None
    if target not in TARGETS:
        return Notification(
            f"Usage: /deploy <target>, where target is one of {', '.join(TARGETS)}",
            color="yellow",
            message_format="text",
        )
    who = event.sender.name if event.sender else "someone"
    event.reply(
        Notification(
            f"Deploy of {target} requested by {who}", color="purple", message_format="text"
        )
    )
    return Notification(f"{target} deployed", color="green", message_format="text")


@addon.on("room_message", pattern=r"^/status\b")
def status(event: RoomMessage) -> str:
    """Say what the bot can do."""
    return f"Deploy Bot is up. Targets: {', '.join(TARGETS)}."


@addon.on("room_enter")
def greet(event: RoomEnter) -> Notification | None:
    """Greet people who enter the room."""
    if event.sender is None:
        return None
    return Notification(
        f"Welcome, {event.sender.name}! Type /deploy <target> to deploy.",
        color="gray",
        message_format="text",
    )


@addon.configure_page
def configure(page: Page) -> str:
    """The page HipChat shows under the add-on's Configure link."""
    return render_template("configure.html", page=page, targets=TARGETS)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The deploy bot as a Flask app; ``config`` overrides ADDON_* keys from the environment."""
    flask_app = Flask(__name__)
    flask_app.config.update(config or {})
    addon.init_app(flask_app)
    return flask_app


app = create_app()
