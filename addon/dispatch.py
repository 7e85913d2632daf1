"""The handler registry: which function runs for which webhook, and running it safely.

Each handler is its own webhook with its own URL key, so HipChat's per-webhook pattern filter
already routes a message to exactly one handler. The pattern is compiled once, at registration,
and re-checked here with ``re.search`` (HipChat's semantics, HIPCHAT.md §5.3) so that a handler
never runs on a message it did not ask for, whoever delivered it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from addon.events import EVENT_CLASSES, Event
from addon.replies import Notification, as_notification

log = logging.getLogger("addon.dispatch")

#: The event types HipChat documents for webhooks (HIPCHAT.md §1.5).
EVENT_TYPES = frozenset(EVENT_CLASSES)
#: Events whose webhooks may carry a pattern (it is matched against the message text).
MESSAGE_EVENTS = frozenset({"room_message", "room_notification"})
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")

HandlerFunc = Callable[[Event], Any]


class RegistrationError(ValueError):
    """A handler was registered with an invalid event, pattern or key; names the handler."""


@dataclass(frozen=True)
class Handler:
    """One registered webhook handler: its key (URL and descriptor key), event and pattern."""

    key: str
    event: str
    func: HandlerFunc
    pattern: re.Pattern[str] | None = None
    name: str | None = None
    room_webhook: bool = False
    background: bool = False

    @property
    def label(self) -> str:
        """How errors and logs name this handler: ``deploy (room_message, key 'deploy')``."""
        return f"{getattr(self.func, '__qualname__', self.key)} ({self.event}, key {self.key!r})"

    def matches(self, event: Event) -> re.Match[str] | bool | None:
        """The pattern's match on the event's message text; True when there is no pattern."""
        if self.pattern is None:
            return True
        text = event.message.text if event.message is not None else None
        if not isinstance(text, str):
            return None
        return self.pattern.search(text)


class Registry:
    """Handlers by key, in registration order."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def __iter__(self) -> Iterator[Handler]:
        return iter(self._handlers.values())

    def __len__(self) -> int:
        return len(self._handlers)

    def get(self, key: str) -> Handler | None:
        """The handler behind webhook URL key ``key``, or None."""
        return self._handlers.get(key)

    def add(
        self,
        event: str,
        func: HandlerFunc,
        *,
        pattern: str | None = None,
        key: str | None = None,
        name: str | None = None,
        room_webhook: bool = False,
        background: bool = False,
    ) -> Handler:
        """Register ``func`` for ``event``; raises RegistrationError naming the function."""
        where = getattr(func, "__qualname__", repr(func))
        if event not in EVENT_TYPES:
            raise RegistrationError(
                f"handler {where}: unknown event {event!r}; expected one of "
                + ", ".join(sorted(EVENT_TYPES))
            )
        compiled = None
        if pattern is not None:
            if event not in MESSAGE_EVENTS:
                raise RegistrationError(
                    f"handler {where}: a pattern only applies to room_message and "
                    f"room_notification, not {event}"
                )
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise RegistrationError(
                    f"handler {where}: pattern {pattern!r} does not compile: {exc}"
                ) from None
        key = key or getattr(func, "__name__", "").replace("_", "-") or event
        if not _KEY_RE.match(key):
            raise RegistrationError(
                f"handler {where}: key {key!r} must be 1-40 letters, digits, '.', '_' or '-'"
            )
        if key in self._handlers:
            raise RegistrationError(
                f"handler {where}: key {key!r} is already used by {self._handlers[key].label}; "
                "pass key=... to tell them apart"
            )
        if name is not None and not 1 <= len(name) <= 100:
            raise RegistrationError(f"handler {where}: name must be 1-100 characters")
        handler = Handler(
            key=key,
            event=event,
            func=func,
            pattern=compiled,
            name=name,
            room_webhook=room_webhook,
            background=background,
        )
        self._handlers[key] = handler
        return handler


def run(handler: Handler, event: Event) -> Notification | None:
    """Run ``handler`` for ``event`` and return its reply, if any.

    A handler that raises is logged with the installation, room and event ids and yields no
    reply: HipChat still gets a 2xx, since retrying would not help and HipChat did nothing wrong.
    The handler's session (``event.session``) is committed after it returns, with the replies
    it queued, which are then delivered; if it raises, both are rolled back.
    A message the pattern does not match is skipped.
    """
    matched = handler.matches(event)
    if not matched:
        log.info("skipped %s: no pattern match (%s)", handler.label, event_ids(event))
        return None
    event.match = matched if isinstance(matched, re.Match) else None
    try:
        value = handler.func(event)
        reply = as_notification(value)
    except Exception:
        event.finish(ok=False)  # its database work and its replies are rolled back
        log.exception("handler %s failed (%s)", handler.label, event_ids(event))
        return None
    try:
        event.finish(ok=True)  # commit, then send the replies it queued (addon.outbox)
    except Exception:
        log.exception(
            "handler %s: its work could not be committed (%s)", handler.label, event_ids(event)
        )
        return None
    log.info("handler %s ran (%s) reply=%s", handler.label, event_ids(event), reply is not None)
    return reply


def event_ids(event: Event) -> str:
    """``installation=... room=... event=... webhook=...``: how log lines name an event."""
    installation = event.installation.oauth_id if event.installation else event.oauth_client_id
    return (
        f"installation={installation} "
        f"room={event.room.id if event.room is not None else None} "
        f"event={event.message.id if event.message is not None else event.type} "
        f"webhook={event.webhook_id}"
    )
