"""Enumerations and defaults of the HipChat REST API v2 (HIPCHAT.md §6.3.1, §6.0).

The enums are ``StrEnum`` members, so a member can be sent as-is in a JSON body and compared
with the plain strings HipChat returns.
"""

from __future__ import annotations

from enum import StrEnum

DEFAULT_BASE_URL = "https://api.hipchat.com/v2/"
"""HipChat Cloud's API base; HipChat Server deployments pass their own (from capabilities)."""


class Color(StrEnum):
    """Background colour of a room notification."""

    YELLOW = "yellow"
    GREEN = "green"
    RED = "red"
    PURPLE = "purple"
    GRAY = "gray"
    RANDOM = "random"


class MessageFormat(StrEnum):
    """How HipChat renders a notification or private message body."""

    HTML = "html"
    TEXT = "text"


class Privacy(StrEnum):
    """Who may join a room."""

    PUBLIC = "public"
    PRIVATE = "private"


class EmoticonType(StrEnum):
    """Which emoticons ``GET /emoticon`` lists."""

    GLOBAL = "global"
    GROUP = "group"
    ALL = "all"
