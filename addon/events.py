"""Typed webhook events (HIPCHAT.md §5): parse the ``{event, item, ...}`` envelope once.

Every event type of §5.2 has its class; an unknown type becomes a :class:`GenericEvent`. Parsing
is tolerant inside ``item`` (missing or odd parts become None or empty) and strict about the
envelope itself, which raises :class:`EventError`. The framework binds an event to its
installation, which gives handlers ``event.client`` and ``event.reply(...)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from addon.replies import Card, Notification, NotificationError, as_notification

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from addon.hipchat import HipChat
    from addon.outbox import Sender
    from addon.store import Installation, OutboxMessage


_INTEGER = re.compile(r"-?[0-9]{1,19}")


class EventError(ValueError):
    """A webhook body that is not an event envelope ``{"event": str, "item": object}``."""


def _int(value: Any) -> int | None:
    """An id as int; numeric strings accepted, anything else (bools included) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _links(value: Any) -> dict[str, str]:
    return {k: v for k, v in _dict(value).items() if isinstance(k, str) and isinstance(v, str)}


def _users(value: Any) -> list[User]:
    if not isinstance(value, list):
        return []
    return [user for user in map(User.from_json, value) if user is not None]


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class User:
    """A user brief (``from``, ``sender`` and ``mentions`` entries)."""

    id: int | None
    name: str | None = None
    mention_name: str | None = None
    links: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> User | None:
        """A User from a user brief; None when ``data`` is not an object."""
        if not isinstance(data, dict):
            return None
        return cls(
            id=_int(data.get("id")),
            name=_str(data.get("name")),
            mention_name=_str(data.get("mention_name")),
            links=_links(data.get("links")),
        )


@dataclass(frozen=True)
class Room:
    """The room an event happened in."""

    id: int | None
    name: str | None = None
    privacy: str | None = None
    is_archived: bool | None = None
    links: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Room | None:
        """A Room from the webhook's room object; None when ``data`` is not an object."""
        if not isinstance(data, dict):
            return None
        archived = data.get("is_archived")
        return cls(
            id=_int(data.get("id")),
            name=_str(data.get("name")),
            privacy=_str(data.get("privacy")),
            is_archived=archived if isinstance(archived, bool) else None,
            links=_links(data.get("links")),
        )


@dataclass(frozen=True)
class File:
    """A file attached to a message or uploaded to a room."""

    name: str | None
    size: int | None = None
    url: str | None = None
    thumb_url: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> File | None:
        """A File from ``{name, size, url, thumb_url}``; None when ``data`` is not an object."""
        if not isinstance(data, dict):
            return None
        return cls(
            name=_str(data.get("name")),
            size=_int(data.get("size")),
            url=_str(data.get("url")),
            thumb_url=_str(data.get("thumb_url")),
        )


@dataclass(frozen=True)
class Message:
    """A chat message or notification; ``from_user`` for users, ``from_label`` for notifications."""

    id: str | None
    text: str = ""
    date: datetime | None = None
    date_raw: str | None = None
    from_user: User | None = None
    from_label: str | None = None
    mentions: list[User] = field(default_factory=list)
    type: str | None = None
    file: File | None = None
    message_format: str | None = None
    color: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Message | None:
        """A Message from ``item.message``; None when ``data`` is not an object."""
        if not isinstance(data, dict):
            return None
        sender = data.get("from")
        mentions = data.get("mentions")
        message_id = data.get("id")
        if not isinstance(message_id, str | int) or isinstance(message_id, bool):
            message_id = None
        return cls(
            id=None if message_id is None else str(message_id),
            text=_str(data.get("message")) or "",
            date=_date(data.get("date")),
            date_raw=_str(data.get("date")),
            from_user=User.from_json(sender),
            from_label=_str(sender),
            mentions=_users(mentions),
            type=_str(data.get("type")),
            file=File.from_json(data.get("file")),
            message_format=_str(data.get("message_format")),
            color=_str(data.get("color")),
        )


class Event:
    """A webhook delivery: the envelope, its parsed parts, and (once bound) a way to reply."""

    event_type: ClassVar[str | None] = None

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.type: str = _check_envelope(payload)
        self.item: dict[str, Any] = payload["item"]
        self.oauth_client_id: str | None = payload.get("oauth_client_id")
        self.webhook_id: int | None = _webhook_id(payload.get("webhook_id"))
        self.room: Room | None = Room.from_json(self.item.get("room"))
        self.message: Message | None = Message.from_json(self.item.get("message"))
        self.sender: User | None = User.from_json(self.item.get("sender")) or (
            self.message.from_user if self.message else None
        )
        self.mentions: list[User] = list(self.message.mentions) if self.message else []
        self.file: File | None = File.from_json(self.item.get("file")) or (
            self.message.file if self.message else None
        )
        self.topic: str | None = _str(self.item.get("topic"))
        self.installation: Installation | None = None
        self.match: re.Match[str] | None = None
        self._client_factory: Callable[[], HipChat] | None = None
        self._client: HipChat | None = None
        self._outbox: Sender | None = None
        self._session: Session | None = None
        self._replies: list[OutboxMessage] = []

    def bind(
        self,
        installation: Installation,
        client_factory: Callable[[], HipChat],
        outbox: Sender | None = None,
    ) -> None:
        """Attach the installation the event belongs to, a factory for its API client and the
        app's outbox (without one, ``reply`` calls the API directly)."""
        self.installation = installation
        self._client_factory = client_factory
        self._client = None
        self._outbox = outbox

    @property
    def session(self) -> Session:
        """The handler's database session, opened on first use; the framework commits it after
        the handler returns (with the replies) and rolls it back if the handler raises."""
        if self._outbox is None:
            raise RuntimeError("event is not bound to an add-on; no database session available")
        if self._session is None:
            self._session = self._outbox.session()
        return self._session

    def finish(self, ok: bool = True) -> None:
        """End the handler's transaction: commit and deliver its replies at once (``ok``), or
        roll back so nothing is stored or sent. Called by the framework; a no-op when unused."""
        session, self._session = self._session, None
        replies, self._replies = self._replies, []
        if session is None:
            return
        try:
            if ok:
                if replies and self._outbox is not None:
                    self._outbox.seal(replies)  # leased to this request: sent right below
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
        if ok and replies and self._outbox is not None:
            self._outbox.deliver_now(replies)

    @property
    def client(self) -> HipChat:
        """A HipChat client acting as the installation (made once per event, on first use)."""
        if self._client_factory is None:
            raise RuntimeError("event is not bound to an installation; no client available")
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def reply(self, value: str | Notification | Card, **options: Any) -> None:
        """Post a notification to the event's room: through the outbox when the event is bound
        to an add-on (sent after the handler's transaction commits), else through the REST API.

        ``value`` is coerced as :func:`addon.replies.as_notification` does (a str is sent as
        text); ``options`` override Notification fields, e.g. ``color="green"``.
        """
        notification = as_notification(value)
        if notification is None:
            raise NotificationError("nothing to reply: give a message, Notification or Card")
        if options:
            notification = notification.replace(**options)
        if self.room is None or self.room.id is None:
            raise RuntimeError(f"a {self.type} event has no room to reply to")
        if self._outbox is not None and self.installation is not None:
            row = self._outbox.enqueue(
                self.session, self.installation.oauth_id, self.room.id, notification.to_json()
            )
            self._replies.append(row)
            return
        self.client.room(self.room.id).send(notification.message, **notification.send_kwargs())

    def __repr__(self) -> str:
        room = self.room.id if self.room else None
        return f"<{type(self).__name__} {self.type} room={room} webhook={self.webhook_id}>"


def _check_envelope(payload: Any) -> str:
    """Validate the envelope's shape and return its event type (EventError if malformed)."""
    if not isinstance(payload, dict):
        raise EventError("webhook body must be a JSON object")
    event_type = payload.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise EventError("webhook body needs an 'event' string")
    if not isinstance(payload.get("item"), dict):
        raise EventError("webhook body needs an 'item' object")
    client_id = payload.get("oauth_client_id")
    if client_id is not None and not isinstance(client_id, str):
        raise EventError("oauth_client_id must be a string")
    return event_type


def _webhook_id(value: Any) -> int | None:
    if value is None:
        return None
    number = _int(value)
    if number is None:
        raise EventError(f"webhook_id must be an integer, not {value!r}")
    return number


class RoomMessage(Event):
    """A user posted a message (``message.from`` is a user)."""

    event_type = "room_message"


class RoomNotification(Event):
    """An integration posted a notification (``message.from`` is a label string)."""

    event_type = "room_notification"


class RoomEnter(Event):
    """A user entered the room."""

    event_type = "room_enter"


class RoomExit(Event):
    """A user left the room."""

    event_type = "room_exit"


class RoomTopicChange(Event):
    """The room topic changed; ``topic`` holds the new one."""

    event_type = "room_topic_change"


class RoomArchived(Event):
    """The room was archived."""

    event_type = "room_archived"


class RoomUnarchived(Event):
    """The room was unarchived."""

    event_type = "room_unarchived"


class RoomCreated(Event):
    """A room was created."""

    event_type = "room_created"


class RoomDeleted(Event):
    """A room was deleted."""

    event_type = "room_deleted"


class RoomFileUpload(Event):
    """A file was uploaded to the room; ``file`` describes it."""

    event_type = "room_file_upload"


class GenericEvent(Event):
    """An event type this version does not know; the raw ``item`` is all there is."""


EVENT_CLASSES: Mapping[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        RoomMessage,
        RoomNotification,
        RoomEnter,
        RoomExit,
        RoomTopicChange,
        RoomArchived,
        RoomUnarchived,
        RoomCreated,
        RoomDeleted,
        RoomFileUpload,
    )
    if cls.event_type is not None
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_CLASSES)


def parse_event(payload: Any) -> Event:
    """Parse a webhook body into the Event subclass for its type (GenericEvent if unknown)."""
    return EVENT_CLASSES.get(_check_envelope(payload), GenericEvent)(payload)
