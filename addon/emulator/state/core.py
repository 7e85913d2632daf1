"""The emulator's core state: one RLock, the records, id counters and room-event publishing.

Every mutation runs inside ``transaction()``; room events queued during it are delivered to
subscribers only after the outermost transaction has released the lock, so a listener may call
back into the emulator (or do slow I/O) without deadlocking or blocking other requests.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from addon.emulator.shapes import Shaper
from addon.emulator.state.faults import FaultRules
from addon.emulator.state.journal import Journal
from addon.emulator.state.limits import FixedWindowCounter
from addon.emulator.state.models import (
    Emoticon,
    Group,
    Message,
    OAuthClient,
    Room,
    Token,
    User,
    Webhook,
)

log = logging.getLogger(__name__)

#: callback(event_name, room, payload_item) — see ``StateBase.subscribe``.
Listener = Callable[[str, Room, dict[str, Any]], None]

DEFAULTS: dict[str, Any] = {
    "EMULATOR_RATE_LIMIT": 500,
    "EMULATOR_RATE_WINDOW": 300,
    "EMULATOR_FLOOD_LIMIT": 30,
    "EMULATOR_FLOOD_WINDOW": 60,
    "EMULATOR_TOKEN_TTL": 3600,
    "EMULATOR_PERSONAL_TOKEN_TTL": 365 * 24 * 3600,
    "EMULATOR_JOURNAL_LIMIT": 10000,
    "EMULATOR_EMPTY": False,
    "EMULATOR_BASE_URL": None,
    "EMULATOR_GROUP_ID": 1,
    "EMULATOR_GROUP_NAME": "Emulated Group",
    "EMULATOR_DESCRIPTOR_TIMEOUT": 10.0,
    "EMULATOR_INSTALL_TIMEOUT": 10.0,
    "EMULATOR_WEBHOOK_TIMEOUT": 10.0,
    "EMULATOR_WEBHOOK_JWT_TTL": 900,
    "EMULATOR_WEBHOOK_WORKERS": 4,
    "EMULATOR_DELIVERY_LOG_LIMIT": 1000,
}


class _Local(threading.local):
    depth = 0

    def __init__(self) -> None:
        self.pending: list[tuple[str, Room, dict[str, Any]]] = []


class StateBase:
    """Records, lock, counters and event plumbing shared by the operation mixins."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config: dict[str, Any] = {**DEFAULTS, **(config or {})}
        self.lock = threading.RLock()
        self._local = _Local()
        self._listeners: list[Listener] = []
        self._permanent: list[Listener] = []
        pinned = self.config.get("EMULATOR_BASE_URL")
        self._base_pinned = bool(pinned)
        self._base_url: str = _with_slash(pinned) if pinned else "http://127.0.0.1/"
        self.rate = FixedWindowCounter(
            int(self.config["EMULATOR_RATE_LIMIT"]), float(self.config["EMULATOR_RATE_WINDOW"])
        )
        self.flood = FixedWindowCounter(
            int(self.config["EMULATOR_FLOOD_LIMIT"]), float(self.config["EMULATOR_FLOOD_WINDOW"])
        )
        self.faults = FaultRules()
        self.journal = Journal(int(self.config["EMULATOR_JOURNAL_LIMIT"]))
        self._clear_records()

    def _clear_records(self) -> None:
        self.group = Group(
            int(self.config["EMULATOR_GROUP_ID"]), self.config["EMULATOR_GROUP_NAME"]
        )
        self.users: dict[int, User] = {}
        self.rooms: dict[int, Room] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.emoticons: dict[int, Emoticon] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.tokens: dict[str, Token] = {}
        self.private_messages: list[Message] = []
        self.user_ids = itertools.count(1)
        self.room_ids = itertools.count(1)
        self.webhook_ids = itertools.count(1)
        self.emoticon_ids = itertools.count(1)

    # -- base URL -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Scheme+host (ending with '/') used for links outside a request, e.g. in events."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = _with_slash(value)
        self._base_pinned = True

    def observe_base_url(self, host_url: str) -> None:
        """Remember the host a request arrived on, unless a base URL was configured."""
        if not self._base_pinned:
            self._base_url = _with_slash(host_url)

    # -- transactions and events ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; deliver the room events queued inside once the lock is released."""
        with self.lock:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
                pending: list[tuple[str, Room, dict[str, Any]]] = []
                if self._local.depth == 0:
                    pending, self._local.pending = self._local.pending, []
        self._deliver(pending)

    def subscribe(self, callback: Listener, *, permanent: bool = False) -> Callable[[], None]:
        """Call ``callback(event_name, room, payload_item)`` for every room event; returns an
        unsubscribe function. Callbacks run in the thread that caused the event, after the lock
        is released; exceptions they raise are logged and swallowed. ``permanent`` listeners
        (the app's webhook delivery) survive ``unsubscribe_all``."""
        with self.lock:
            self._listeners.append(callback)
            if permanent:
                self._permanent.append(callback)

        def unsubscribe() -> None:
            self.unsubscribe(callback)

        return unsubscribe

    def unsubscribe(self, callback: Listener) -> None:
        """Stop calling ``callback`` (no error if it was not subscribed)."""
        with self.lock:
            if callback in self._listeners:
                self._listeners.remove(callback)
            if callback in self._permanent:
                self._permanent.remove(callback)

    def unsubscribe_all(self) -> None:
        """Remove every listener but the permanent ones (for test harnesses that reuse one
        emulator)."""
        with self.lock:
            self._listeners = [f for f in self._listeners if f in self._permanent]

    def _emit(self, event: str, room: Room, item: dict[str, Any]) -> None:
        """Queue a room event; must be called inside ``transaction()``."""
        if self._local.depth <= 0:
            raise RuntimeError("room events can only be emitted inside a transaction")
        self._local.pending.append((event, room, item))

    def shaper(self, base: str | None = None) -> Shaper:
        """A JSON shaper whose links use ``base`` (default: the emulator's base URL)."""
        return Shaper(self, base or self.base_url)

    def _emit_room_event(
        self, event: str, room: Room, sender: User | None = None, **extra: Any
    ) -> None:
        """Queue a room event whose item is ``{"room", "sender"?, **extra}`` (§5.2)."""
        shaper = self.shaper()
        item: dict[str, Any] = {"room": shaper.room_brief(room)}
        if sender is not None:
            item["sender"] = shaper.user_brief(sender)
        item.update(extra)
        self._emit(event, room, item)

    def _deliver(self, pending: list[tuple[str, Room, dict[str, Any]]]) -> None:
        if not pending:
            return
        with self.lock:
            listeners = list(self._listeners)
        for event, room, item in pending:
            for listener in listeners:
                try:
                    listener(event, room, item)
                except Exception:
                    log.exception(
                        "emulator event listener failed for %s in room %s", event, room.id
                    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
