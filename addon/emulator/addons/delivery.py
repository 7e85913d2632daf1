"""Webhook delivery (HIPCHAT.md §5): room events -> matching webhooks -> POSTs to add-ons.

The emulator's event listener picks the webhooks that apply *when the event happens* (in the
thread that caused it) and queues one delivery per webhook on the room's lane of a small worker
pool, so API requests do not wait for add-ons and each room's events arrive in order. A 2xx
answer carrying a notification body is posted back to the room as the add-on (§5.4). Every
delivery is recorded in the delivery log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from addon.emulator.addons.deliveries import DeliveryLog
from addon.emulator.addons.installs import INSTALLING, Installations
from addon.emulator.addons.outbound import call, describe_exception, describe_response
from addon.emulator.addons.pool import LanePool
from addon.emulator.addons.signing import sign, webhook_claims
from addon.emulator.exceptions import ApiError
from addon.emulator.shapes import iso
from addon.emulator.state.models import Room, Webhook, utcnow
from addon.emulator.state.oauth import OAuthOps

log = logging.getLogger(__name__)

MESSAGE_EVENTS = ("room_message", "room_notification")
#: how many notifications may answer each other through webhook replies before hooks stop
REPLY_CHAIN_LIMIT = 3


@dataclass(frozen=True)
class Delivery:
    """Everything one webhook POST needs, captured when the event happened."""

    hook: Webhook
    event: str
    room_id: int
    item: dict[str, Any]
    secret: str | None
    from_name: str
    user_id: int | None
    user_tz: str
    depth: int


class Dispatcher:
    """Subscribed to the emulator's room events; matches, queues and performs deliveries."""

    def __init__(
        self,
        state: OAuthOps,
        installations: Installations,
        pool: LanePool,
        deliveries: DeliveryLog,
    ) -> None:
        self.state = state
        self.installations = installations
        self.pool = pool
        self.deliveries = deliveries
        self._reply = threading.local()  # .depth: set while a webhook reply is being posted

    # -- matching (runs in the thread that caused the event) ------------------------------------

    def on_event(self, event: str, room: Room, item: dict[str, Any]) -> None:
        """The emulator listener: queue a delivery for each webhook that applies."""
        if event == "room_created":
            self.installations.add_global_hooks(room)
        depth = getattr(self._reply, "depth", 0) if event == "room_notification" else 0
        with self.state.lock:
            if event == "room_deleted":
                hooks = list(room.removed_webhooks)
            else:
                hooks = [h for h in self.state.list_webhooks() if h.room_id == room.id]
            jobs = [
                self._prepare(hook, event, room, item, depth)
                for hook in hooks
                if self.applies(hook, event, item, depth)
            ]
            doomed = []
            if event == "room_deleted":
                doomed = [i.oauth_id for i in self.installations.all() if i.room_id == room.id]
        for job in jobs:
            self.pool.submit(room.id, lambda job=job: self.deliver(job))
        for oauth_id in doomed:  # a room installation goes with its room, after room_deleted
            self.pool.submit(room.id, lambda oauth_id=oauth_id: self._uninstall(oauth_id))

    def applies(self, hook: Webhook, event: str, item: dict[str, Any], depth: int = 0) -> bool:
        """Whether ``hook`` fires for this event: same event, its installation active, its
        pattern found (``re.search``) in the message text, and not its own notification."""
        if hook.event != event:
            return False
        if self.installations.status(hook.oauth_client_id) == INSTALLING:
            return False
        if event not in MESSAGE_EVENTS:
            return True
        message = item.get("message") if isinstance(item.get("message"), dict) else {}
        if event == "room_notification":
            sender = message.get("notification_sender") or {}
            if hook.oauth_client_id and sender.get("client_id") == hook.oauth_client_id:
                return False  # an add-on never hears its own notifications (no loops)
            if depth >= REPLY_CHAIN_LIMIT:
                return False
        if hook.pattern is None:
            return True
        return re.search(hook.pattern, str(message.get("message") or "")) is not None

    def _prepare(
        self, hook: Webhook, event: str, room: Room, item: dict[str, Any], depth: int
    ) -> Delivery:
        client = self.state.get_client(hook.oauth_client_id or "")
        installation = self.installations.get(hook.oauth_client_id or "")
        if installation is not None:
            from_name = installation.descriptor.from_name
        else:
            from_name = client.name if client else (hook.name or "")
        user_id = acting_user_id(event, item)
        user = self.state.find_user(user_id) if user_id is not None else None
        return Delivery(
            hook=hook,
            event=event,
            room_id=room.id,
            item=item,
            secret=client.secret if client else None,
            from_name=from_name,
            user_id=user_id,
            user_tz=(user.timezone if user else None) or "UTC",
            depth=depth,
        )

    # -- delivery (runs on the room's lane of the worker pool) ----------------------------------

    def deliver(self, job: Delivery) -> dict[str, Any]:
        """POST the webhook, post a reply found in its answer, record the outcome."""
        hook = job.hook
        timeout = float(self.state.config["EMULATOR_WEBHOOK_TIMEOUT"])
        body: dict[str, Any] = {"event": job.event, "item": job.item}
        if hook.oauth_client_id:
            body["oauth_client_id"] = hook.oauth_client_id
        body["webhook_id"] = hook.id
        headers = {"Content-Type": "application/json"}
        signed = hook.authentication == "jwt" and bool(job.secret and hook.oauth_client_id)
        if signed:
            claims = webhook_claims(
                hook.oauth_client_id or "",
                user_id=job.user_id,
                room_id=job.room_id,
                user_tz=job.user_tz,
                ttl=int(self.state.config["EMULATOR_WEBHOOK_JWT_TTL"]),
            )
            headers["Authorization"] = "JWT " + sign(claims, job.secret or "")
        entry: dict[str, Any] = {
            "time": iso(utcnow()),
            "webhook_id": hook.id,
            "oauth_id": hook.oauth_client_id,
            "event": job.event,
            "room_id": job.room_id,
            "url": hook.url,
            "signed": signed,
            "status": None,
            "ok": False,
            "error": None,
            "latency_ms": None,
            "reply_message_id": None,
        }
        if hook.authentication == "jwt" and not signed:
            entry["note"] = "sent unsigned: the webhook has no OAuth client to sign with"
        started = time.monotonic()
        try:
            response = call(
                "POST", hook.url, timeout=timeout, data=json.dumps(body), headers=headers
            )
        except requests.RequestException as exc:
            entry["latency_ms"] = _ms(started)
            entry["error"] = f"POST {hook.url} failed: {describe_exception(exc, timeout)}"
            return self.deliveries.add(entry)
        entry["latency_ms"] = _ms(started)
        entry["status"] = response.status_code
        if not 200 <= response.status_code < 300:
            entry["error"] = f"POST {hook.url} answered {describe_response(response)}"
            return self.deliveries.add(entry)
        entry["ok"] = True
        reply = reply_body(response)
        if reply is not None:
            self._post_reply(job, reply, entry)
        return self.deliveries.add(entry)

    def _post_reply(self, job: Delivery, reply: dict[str, Any], entry: dict[str, Any]) -> None:
        """Post a §5.4 reply as the add-on; an invalid one is a delivery error, not posted.
        The reply's own room_notification event sees the chain depth (replies to replies stop
        after REPLY_CHAIN_LIMIT, so two add-ons cannot answer each other for ever)."""
        self._reply.depth = job.depth + 1
        try:
            message = self.state.post_notification(
                job.room_id, reply, job.from_name, client_id=job.hook.oauth_client_id
            )
        except ApiError as exc:
            entry["ok"] = False
            entry["error"] = f"the reply in the response body was not posted: {exc.message}"
            return
        finally:
            self._reply.depth = 0
        entry["reply_message_id"] = message.id

    def _uninstall(self, oauth_id: str) -> None:
        with contextlib.suppress(ApiError):  # NotFound: already uninstalled
            self.installations.uninstall(oauth_id)


def acting_user_id(event: str, item: dict[str, Any]) -> int | None:
    """Who acted: ``message.from.id`` for user messages, ``sender.id`` for other room events,
    nobody for notifications (their ``from`` is a label)."""
    message = item.get("message")
    source = message.get("from") if isinstance(message, dict) else item.get("sender")
    if isinstance(source, dict) and isinstance(source.get("id"), int):
        return int(source["id"])
    return None


def reply_body(response: requests.Response) -> dict[str, Any] | None:
    """The notification an add-on answered with (§5.4): a JSON object with a non-empty
    ``message`` or a ``card``; None for empty bodies, ``{}`` and anything else."""
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        data = json.loads(response.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(data, dict) and (data.get("message") or data.get("card")):
        return data
    return None


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
