"""Room webhooks registered through the REST API (HIPCHAT.md §5.6, §6.5): register, sync, remove.

Most handlers are declared in the descriptor. A handler registered with ``room_webhook=True`` is
instead created in the room through ``POST /room/{id}/webhook`` when a room installation arrives;
its HipChat id is kept in ``RoomWebhook`` rows so that ``flask addon webhooks sync`` can reconcile
and uninstall can forget them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from addon.config import Settings
from addon.descriptor import WEBHOOK_PATH
from addon.dispatch import Handler
from addon.hipchat import HipChat, HipChatError, NotFoundError
from addon.store import Installation, RoomWebhook, Store

log = logging.getLogger("addon.webhooks")


@dataclass(frozen=True)
class WantedHook:
    """A room webhook the add-on wants to exist, derived from a handler."""

    handler_key: str
    event: str
    url: str
    pattern: str | None = None
    name: str | None = None


@dataclass
class SyncReport:
    """What a sync changed in one room."""

    room_id: int
    created: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)


def wanted(handlers: Iterable[Handler], settings: Settings) -> list[WantedHook]:
    """The room webhooks the registered handlers ask for."""
    return [
        WantedHook(
            handler_key=h.key,
            event=h.event,
            url=settings.url(WEBHOOK_PATH.format(key=h.key)),
            pattern=h.pattern.pattern if h.pattern is not None else None,
            name=h.name or h.key,
        )
        for h in handlers
        if h.room_webhook
    ]


def register(client: HipChat, room_id: int, hooks: Sequence[WantedHook]) -> list[RoomWebhook]:
    """Create ``hooks`` in the room; all or nothing (created ones are deleted on failure).

    Returns unsaved ``RoomWebhook`` rows; the caller stores them with the installation.
    """
    created: list[RoomWebhook] = []
    try:
        for hook in hooks:
            created.append(_create(client, room_id, hook))
    except HipChatError:
        for row in created:
            _delete_quietly(client, room_id, row.webhook_id)
        raise
    return created


def sync(
    client: HipChat,
    installation: Installation,
    hooks: Sequence[WantedHook],
    session: Session,
    settings: Settings,
) -> SyncReport:
    """Make the room's webhooks that point at this add-on match ``hooks`` exactly.

    Lists the room's webhooks, keeps those that match a wanted hook, creates the missing ones and
    deletes the ones under our webhook URL prefix that no handler wants any more.
    """
    room_id = installation.room_id
    if room_id is None:
        raise ValueError("webhooks are registered through the API only for room installations")
    report = SyncReport(room_id=room_id)
    prefix = settings.url(WEBHOOK_PATH.format(key=""))
    remaining = {(h.event, h.url, h.pattern or ""): h for h in hooks}
    rows = {
        r.webhook_id: r
        for r in session.scalars(
            select(RoomWebhook).where(RoomWebhook.oauth_id == installation.oauth_id)
        )
    }
    kept_rows: set[int] = set()
    for existing in client.room(room_id).webhook().iter_all():
        hook_id = int(existing["id"])
        signature = (existing.get("event"), existing.get("url"), existing.get("pattern") or "")
        hook = remaining.pop(signature, None)
        if hook is not None:
            report.kept.append(hook_id)
            kept_rows.add(hook_id)
            if hook_id not in rows:
                session.add(_row(installation.oauth_id, room_id, hook, hook_id))
        elif str(existing.get("url", "")).startswith(prefix):
            _delete_quietly(client, room_id, hook_id)
            report.deleted.append(hook_id)
    # Forget rows whose hook is gone before creating replacements (one row per handler key).
    for hook_id, row in rows.items():
        if hook_id not in kept_rows:
            session.delete(row)
    session.flush()
    for hook in remaining.values():
        row = _create(client, room_id, hook)
        row.oauth_id = installation.oauth_id
        session.add(row)
        report.created.append(row.webhook_id)
    log.info(
        "synced room webhooks installation=%s room=%s created=%s deleted=%s kept=%s",
        installation.oauth_id,
        room_id,
        report.created,
        report.deleted,
        report.kept,
    )
    return report


def remove_registered(client: HipChat, store: Store, oauth_id: str) -> None:
    """Delete, through the API, the room webhooks stored for an installation (rows stay)."""
    with store.session() as session:
        rows = [
            (r.room_id, r.webhook_id)
            for r in session.scalars(select(RoomWebhook).where(RoomWebhook.oauth_id == oauth_id))
        ]
    for room_id, webhook_id in rows:
        _delete_quietly(client, room_id, webhook_id)


def _create(client: HipChat, room_id: int, hook: WantedHook) -> RoomWebhook:
    response = (
        client.room(room_id)
        .webhook()
        .create(
            hook.url,
            hook.event,
            pattern=hook.pattern,
            name=hook.name,
            key=hook.handler_key,
            authentication="jwt",
        )
    )
    data = response.data if isinstance(response.data, dict) else {}
    if not isinstance(data.get("id"), int):
        raise HipChatError(
            "creating a room webhook answered without an id",
            status=response.status_code,
            response=response,
        )
    return _row("", room_id, hook, data["id"])


def _row(oauth_id: str, room_id: int, hook: WantedHook, webhook_id: int) -> RoomWebhook:
    return RoomWebhook(
        oauth_id=oauth_id,
        room_id=room_id,
        webhook_id=webhook_id,
        handler_key=hook.handler_key,
        event=hook.event,
        pattern=hook.pattern,
        url=hook.url,
    )


def _delete_quietly(client: HipChat, room_id: int, webhook_id: int) -> None:
    try:
        client.room(room_id).webhook(webhook_id).delete()
    except NotFoundError:
        pass
    except HipChatError as exc:
        log.warning("could not delete room webhook %s in room %s: %s", webhook_id, room_id, exc)
