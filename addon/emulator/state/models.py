"""The emulator's in-memory records: groups, users, rooms, messages, webhooks, clients, tokens.

Plain mutable dataclasses; they are only ever touched while holding the ``Emulator`` lock, and
turned into HipChat's JSON shapes by ``addon.emulator.shapes``.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Every scope HipChat knew (HIPCHAT.md §1.4): id -> (display name, description).
SCOPES: dict[str, tuple[str, str]] = {
    "admin_group": ("Administer Group", "Perform group administrative tasks"),
    "admin_room": ("Administer Room", "Perform room administrative tasks"),
    "import_data": ("Import Data", "Import users, rooms and chat history"),
    "manage_rooms": ("Manage Rooms", "Create, update, and remove rooms"),
    "send_message": ("Send Message", "Send private one-on-one messages"),
    "send_notification": ("Send Notification", "Send room notifications"),
    "view_group": ("View Group", "View users, rooms, and other group information"),
    "view_messages": ("View Messages", "View messages from chat rooms and private chats"),
    "view_room": ("View Room", "View room information and participants, but not history"),
}

#: Scopes a personal (user) token gets when it asks for none.
DEFAULT_USER_SCOPES: tuple[str, ...] = tuple(sorted(set(SCOPES) - {"import_data"}))

WEBHOOK_EVENTS: tuple[str, ...] = (
    "room_archived",
    "room_created",
    "room_deleted",
    "room_enter",
    "room_exit",
    "room_file_upload",
    "room_message",
    "room_notification",
    "room_topic_change",
    "room_unarchived",
)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (every stored timestamp uses this)."""
    return datetime.now(UTC)


def new_version() -> str:
    """A fresh 8-character entity version tag, like HipChat's ``version`` fields."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def new_secret(length: int = 40) -> str:
    """A random alphanumeric secret (OAuth secrets, access tokens)."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def new_message_id() -> str:
    """A message id: a UUID string, as in HipChat history and webhooks."""
    return str(uuid.uuid4())


@dataclass
class Group:
    """The single HipChat group (tenant) the emulator hosts."""

    id: int
    name: str
    avatar: bytes | None = None


@dataclass
class User:
    """A group member; ``password`` is kept in clear because the emulator is a test double."""

    id: int
    name: str
    mention_name: str
    email: str
    password: str | None = None
    title: str = ""
    timezone: str = "UTC"
    is_group_admin: bool = False
    is_guest: bool = False
    is_deleted: bool = False
    roles: list[str] = field(default_factory=lambda: ["user"])
    presence_show: str | None = "chat"
    presence_status: str | None = None
    photo: bytes | None = None
    created: datetime = field(default_factory=utcnow)
    last_active: datetime = field(default_factory=utcnow)
    version: str = field(default_factory=new_version)

    def touch(self) -> None:
        """Mark the user as changed (new version tag)."""
        self.version = new_version()


@dataclass
class Message:
    """One history item: a user message (``from_user_id``) or a notification (``from_label``)."""

    id: str
    type: str
    text: str
    date: datetime
    from_user_id: int | None = None
    from_label: str | None = None
    color: str | None = None
    message_format: str | None = None
    notify: bool = False
    card: dict[str, Any] | None = None
    attach_to: str | None = None
    parent_message_id: str | None = None
    mention_ids: list[int] = field(default_factory=list)
    sender_client_id: str | None = None
    sender_key: str | None = None
    file: dict[str, Any] | None = None
    to_user_id: int | None = None


@dataclass
class Webhook:
    """A room webhook, created over REST or by an installation."""

    id: int
    room_id: int
    url: str
    event: str
    pattern: str | None = None
    name: str | None = None
    key: str | None = None
    authentication: str = "none"
    creator_user_id: int | None = None
    oauth_client_id: str | None = None
    created: datetime = field(default_factory=utcnow)


@dataclass
class Room:
    """A chat room with its participants (present now), members (private rooms) and history."""

    id: int
    name: str
    owner_id: int | None
    privacy: str = "public"
    topic: str = ""
    is_archived: bool = False
    guest_token: str | None = None
    delegate_admin_visibility: bool = False
    avatar: bytes | None = None
    participants: list[int] = field(default_factory=list)
    members: dict[int, list[str]] = field(default_factory=dict)
    history: list[Message] = field(default_factory=list)
    #: the webhooks the room had when it was deleted, so room_deleted can still reach them
    removed_webhooks: list[Webhook] = field(default_factory=list)
    messages_sent: int = 0
    created: datetime = field(default_factory=utcnow)
    last_active: datetime = field(default_factory=utcnow)
    version: str = field(default_factory=new_version)

    @property
    def is_guest_accessible(self) -> bool:
        """Guest access is on exactly when a guest token exists (HIPCHAT.md §6.11)."""
        return self.guest_token is not None

    def touch(self) -> None:
        """Mark the room as changed (new version tag)."""
        self.version = new_version()


@dataclass
class Emoticon:
    """A global or group emoticon."""

    id: int
    shortcut: str
    width: int = 30
    height: int = 30
    type: str = "global"
    audio_path: str | None = None
    creator_id: int | None = None


@dataclass
class OAuthClient:
    """An OAuth client: one per add-on installation (or the admin API's own client)."""

    oauth_id: str
    secret: str
    name: str
    group_id: int
    scopes: list[str]
    room_id: int | None = None
    descriptor: dict[str, Any] | None = None
    installer_id: int | None = None
    created: datetime = field(default_factory=utcnow)

    @property
    def key(self) -> str | None:
        """The add-on key from its descriptor, when there is one."""
        if self.descriptor and isinstance(self.descriptor.get("key"), str):
            return str(self.descriptor["key"])
        return None


@dataclass
class Token:
    """An access token: an add-on (client) token or a user token, with scopes and expiry."""

    access_token: str
    scopes: list[str]
    expires_at: datetime
    group_id: int
    client_id: str | None = None
    user_id: int | None = None
    room_id: int | None = None
    refresh_token: str | None = None
    created: datetime = field(default_factory=utcnow)

    @property
    def owner_type(self) -> str:
        """``user`` for user tokens, ``client`` for add-on tokens (HIPCHAT.md §3.3)."""
        return "user" if self.user_id is not None else "client"

    def expires_in(self, now: datetime | None = None) -> int:
        """Whole seconds left before expiry (never negative)."""
        left = (self.expires_at - (now or utcnow())).total_seconds()
        return max(0, int(left))

    def is_expired(self, now: datetime | None = None) -> bool:
        """True once the expiry time has passed."""
        return (now or utcnow()) >= self.expires_at
