"""Did a send whose answer was lost reach the room? Asked before the outbox tries it again.

A notification send has no idempotency key (HipChat answers 204 with no id), so after a read
timeout or a dropped connection the only witness is the room's history: the sender looks for
notifications with the row's text posted since the failed attempt. Texts repeat (two "Deploying
staging" replies a minute apart), so it counts: the row was posted when the history holds more
such notifications than the outbox itself delivered with that text since then.

Reading history needs the ``view_messages`` scope. Without it (403) the row is sent again and a
warning says a duplicate is possible: at least once is kept over at most once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from addon.hipchat import ForbiddenError, HipChat
from addon.replies import Notification

if TYPE_CHECKING:  # pragma: no cover
    from addon.store import OutboxMessage, Store

log = logging.getLogger("addon.outbox")

#: Messages of the room's recent history looked at (HipChat's /history/latest default is 75).
HISTORY_WINDOW = 200
#: Our clock is not HipChat's: a notification dated this much before the failed attempt counts.
CLOCK_SKEW = timedelta(seconds=30)


def already_posted(
    client: HipChat, store: Store, row: OutboxMessage, notification: Notification
) -> bool:
    """True when ``row`` (whose attempt at ``row.unconfirmed_since`` lost its answer) is in the
    room's history already. Raises what the history call raises, except 403 (-> False)."""
    if row.unconfirmed_since is None:
        return False  # no send of this row lost its answer
    since = _aware(row.unconfirmed_since) - CLOCK_SKEW
    try:
        response = client.room(row.room_id).latest(max_results=HISTORY_WINDOW)
    except ForbiddenError:
        log.warning(
            "outbox row %s (installation=%s room=%s): its send may have reached HipChat but the "
            "room's history cannot be read (grant the view_messages scope); sending it again may "
            "post it twice",
            row.id,
            row.oauth_id,
            row.room_id,
        )
        return False
    data = response.data if isinstance(response.data, dict) else {}
    items = data.get("items") or []
    seen = sum(1 for item in items if _same_notification(item, notification, since))
    if not seen:
        return False
    return seen > _delivered_like(store, row, since)


def _same_notification(item: Any, notification: Notification, since: datetime) -> bool:
    """A history item that is a notification with ``notification``'s text, dated after
    ``since``."""
    if not isinstance(item, dict) or item.get("message") != notification.message:
        return False
    if item.get("type") not in (None, "notification"):
        return False
    date = _parse_date(item.get("date"))
    return date is None or date >= since


def _delivered_like(store: Store, row: OutboxMessage, since: datetime) -> int:
    """Rows of the same room and text that the outbox delivered since ``since`` (not ``row``)."""
    from addon.store import OutboxMessage as M

    with store.session() as session:
        count = session.scalar(
            select(func.count(M.id)).where(
                M.oauth_id == row.oauth_id,
                M.room_id == row.room_id,
                M.id != row.id,
                M.body == row.body,
                M.delivered_at >= since,
            )
        )
    return int(count or 0)


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    """``moment`` with a time zone (a naive one, as SQLite may hand back, is UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
