"""The emulator's blueprints, one per API area; ``BLUEPRINTS`` lists them for the app factory."""

from __future__ import annotations

from flask import Blueprint

from addon.emulator.ui import bp as ui
from addon.emulator.views.admin import bp as admin
from addon.emulator.views.assets import bp as assets
from addon.emulator.views.capabilities import bp as capabilities
from addon.emulator.views.emoticons import bp as emoticons
from addon.emulator.views.installations import bp as installations
from addon.emulator.views.oauth import bp as oauth
from addon.emulator.views.room_admin import bp as room_admin
from addon.emulator.views.room_messages import bp as room_messages
from addon.emulator.views.rooms import bp as rooms
from addon.emulator.views.users import bp as users

BLUEPRINTS: tuple[Blueprint, ...] = (
    capabilities,
    oauth,
    rooms,
    room_messages,
    room_admin,
    users,
    emoticons,
    admin,
    installations,
    assets,
    ui,
)
