"""The emulator's in-memory HipChat: ``Emulator`` holds every record behind one RLock.

Import ``Emulator`` from here; the operations live in mixins (users, rooms, messages, oauth) and
the plumbing (lock, events, counters, faults, journal) in ``core``.
"""

from __future__ import annotations

from addon.emulator.state.emulator import Emulator
from addon.emulator.state.models import (
    SCOPES,
    WEBHOOK_EVENTS,
    Emoticon,
    Group,
    Message,
    OAuthClient,
    Room,
    Token,
    User,
    Webhook,
)

__all__ = [
    "SCOPES",
    "WEBHOOK_EVENTS",
    "Emoticon",
    "Emulator",
    "Group",
    "Message",
    "OAuthClient",
    "Room",
    "Token",
    "User",
    "Webhook",
]
