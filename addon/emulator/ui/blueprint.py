"""The chat UI's blueprint, its templates and static files, and helpers its views share.

Pages are HTML; errors raised by the emulator's state in a UI view become an HTML page with the
error in words (the JSON envelope stays for the APIs).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from addon.emulator.addons.host import AddonHost
from addon.emulator.addons.installs import Installation
from addon.emulator.exceptions import ApiError
from addon.emulator.state.emulator import Emulator
from addon.emulator.state.models import User
from addon.emulator.web.auth import emulator

bp = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/emulator/ui/static",
)

_POLL_LINE = re.compile(r'"GET /rooms/\d+/updates\?\S* HTTP/[\d.]+" (200|304) ')


class QuietPolling(logging.Filter):
    """Drops the development server's access-log line of each successful poll: an open room
    page polls twice a second, which would bury every other line of ``make run``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a successful ``/rooms/<id>/updates`` request."""
        return _POLL_LINE.search(record.getMessage()) is None


@bp.record_once
def _quiet_polling(setup: BlueprintSetupState) -> None:
    server_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, QuietPolling) for f in server_log.filters):
        server_log.addFilter(QuietPolling())


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> ResponseReturnValue:
    """Errors in words, on a page (JSON for the page's own script)."""
    if wants_json():
        return {"error": {"code": error.status, "message": error.message}}, error.status
    return render_template("ui/error.html", error=error), error.status


def wants_json() -> bool:
    """Whether the page's script (not a form post) made the request."""
    return request.accept_mimetypes.best == "application/json"


def state() -> Emulator:
    """The emulator behind this app."""
    return emulator()


def host() -> AddonHost:
    """The add-on side (installations, deliveries)."""
    addons = emulator().addons
    if addons is None:
        raise ApiError("This emulator has no add-on side", 500)
    return addons


def users() -> list[User]:
    """Active users, for the user pickers."""
    return emulator().list_users(include_guests=True)


def picked_user(value: Any) -> User:
    """The user chosen in a picker (id), else the group owner; 404 for an unknown user."""
    st = emulator()
    if value not in (None, ""):
        return st.get_user(str(value))
    found = st.group_owner()
    if found is None:
        raise ApiError("Pick a user: the emulator has none", 400)
    return found


def installations_for(room_id: int) -> list[Installation]:
    """Installations that apply to a room: those in it and the global ones."""
    addons = emulator().addons
    if addons is None:
        return []
    return [i for i in addons.installations.all() if i.room_id in (None, room_id)]
