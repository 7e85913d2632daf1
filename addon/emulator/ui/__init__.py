"""The emulator's web chat: rooms, a chat window per room, the add-ons page and add-on views.

``bp`` is registered by the app factory; pages are served at ``/``, ``/rooms/<id>`` and
``/addons``, assets under ``/emulator/ui/static/`` (no CDN: everything works offline).
"""

from __future__ import annotations

from addon.emulator.ui import addons, rooms
from addon.emulator.ui.blueprint import bp

__all__ = ["addons", "bp", "rooms"]
