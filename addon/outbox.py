"""The reply outbox: ``event.reply`` writes a row, the ``Sender`` delivers it exactly once.

A reply is an ``OutboxMessage`` committed with the handler's own work, so a handler that raises
sends nothing and a reply that was committed is not lost when HipChat misbehaves. The rows of an
event are sealed (leased to the request) at commit and sent right after it, before the webhook
is answered; rows that could not go at once are retried by a daemon thread per process
(``addon.outbox_poller``, ``ADDON_OUTBOX_POLL``) or by ``flask addon outbox flush``.

Order: a room's rows go oldest first and never overtake a row that has failed before (a retry
holds the room back until it is through). Replies of concurrent webhooks, still in their first
attempt, do not wait for each other: their order was never defined, and serialising them would
make a busy room as slow as its slowest request. Every other send claims its row with a
compare-and-set lease (``claimed_until``), so two workers never send one row.

Flood control (``ADDON_FLOOD_*`` per room) and the rate limit (``ADDON_RATE_*`` per token) are
kept by a per-process limiter and by the limit headers HipChat returns: a row that would exceed
them waits (``next_attempt_at``) instead of provoking a 429. 429/5xx/transport errors are
retried with exponential back-off and jitter up to ``ADDON_OUTBOX_MAX_ATTEMPTS``; other 4xx fail
the row at once (``failed_at``, ``last_error``). A send whose answer was lost (a read timeout, a
dropped connection, or a 500/502/504 that may have come after the work) may have been posted:
before trying it again the sender looks for it in the room's recent history
(``addon.outbox_confirm``), so it is not posted twice.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from addon.config import Settings
from addon.hipchat import HipChat, HipChatError, TooManyRequestsError, TransportError
from addon.hipchat.retry import server_hint
from addon.limiter import Limiter
from addon.outbox_confirm import already_posted
from addon.outbox_poller import Poller
from addon.replies import Notification
from addon.store import OutboxMessage, Store
from addon.store.types import utcnow

log = logging.getLogger("addon.outbox")

#: Seconds a claim lasts beyond the HTTP timeout: a crashed sender's rows are retried after it.
LEASE_MARGIN = 30.0
#: Rows looked at per pass.
BATCH = 100

M = OutboxMessage
PENDING = and_(M.delivered_at.is_(None), M.failed_at.is_(None))

# The two statements of every reply, built once (their construction cost more than running them).
_OLDER_BLOCKING = (
    select(M.id)
    .where(
        M.oauth_id == bindparam("oauth_id"),
        M.room_id == bindparam("room_id"),
        M.id < bindparam("first_id"),
        PENDING,
        # Not a first attempt in flight (NULL-safe: an unclaimed row always counts).
        or_(M.attempts > 0, M.claimed_until.is_(None), M.claimed_until <= bindparam("now")),
    )
    .limit(1)
)
_MARK_DELIVERED = (
    update(M)
    .where(M.id == bindparam("row_id"), M.delivered_at.is_(None))
    .values(
        delivered_at=bindparam("now"),
        claimed_until=None,
        attempts=M.attempts + 1,
        last_error=None,
    )
)


@dataclass(frozen=True)
class Status:
    """What ``flask addon outbox status`` prints: row counts and the oldest pending row's age."""

    pending: int
    delivered: int
    failed: int
    oldest_pending_age: float | None

    def line(self) -> str:
        """``pending 3  delivered 200  failed 0  oldest pending 4.2s``."""
        age = "-" if self.oldest_pending_age is None else f"{self.oldest_pending_age:.1f}s"
        return (
            f"pending {self.pending}  delivered {self.delivered}  failed {self.failed}  "
            f"oldest pending {age}"
        )


def enqueue(session: Session, oauth_id: str, room_id: int, body: dict[str, Any]) -> OutboxMessage:
    """Add a reply (a §6.3.1 notification body) to ``session``; it goes out after the commit."""
    Notification.from_json(body)  # refuse what could never be sent, while the handler runs
    row = OutboxMessage(
        oauth_id=oauth_id, room_id=room_id, body=json.dumps(body), attempts=0, created_at=utcnow()
    )
    row.next_attempt_at = row.created_at
    session.add(row)
    return row


class Sender:
    """Delivers outbox rows of one app; shared by its request threads and its poller thread."""

    def __init__(
        self, store: Store, client_for: Callable[[str], HipChat | None], settings: Settings
    ) -> None:
        self.store = store
        self.client_for = client_for
        self.settings = settings
        self.limiter = Limiter()
        #: sent, retried, failed, throttled (429 seen), deferred (held back by the limiter).
        self.counts: Counter[str] = Counter()
        self.poller = Poller(self)

    # -- the handler's side ----------------------------------------------------------------------

    def session(self) -> Session:
        """A new session on the add-on's database (the handler's transaction)."""
        return Session(self.store.engine, expire_on_commit=False)

    def enqueue(
        self, session: Session, oauth_id: str, room_id: int, body: dict[str, Any]
    ) -> OutboxMessage:
        """See :func:`enqueue`."""
        return enqueue(session, oauth_id, room_id, body)

    def lease(self) -> datetime:
        """When a claim taken now runs out (a crashed sender's rows are retried after it)."""
        return utcnow() + timedelta(seconds=self.settings.http_timeout + LEASE_MARGIN)

    def seal(self, rows: Iterable[OutboxMessage]) -> None:
        """Lease an event's rows to its request, just before their commit: ``deliver_now``
        sends them without a claim, and no other sender touches them meanwhile."""
        until = self.lease()
        for row in rows:
            row.claimed_until = until

    def deliver_now(self, rows: Iterable[OutboxMessage]) -> None:
        """Send just-committed (sealed) ``rows`` before returning, in order, unless their room
        is held back by an older row that failed before; what cannot go now (back-off, flood
        control, a failure) is released to the poller, which is woken only then. Never raises."""
        rows = sorted(rows, key=lambda row: row.id)
        left = True
        try:
            blocked = self._blocked_rooms(rows)
            by_room: dict[tuple[str, int], list[OutboxMessage]] = {}
            for row in rows:
                by_room.setdefault((row.oauth_id, row.room_id), []).append(row)
            left = False
            for room, queue in by_room.items():
                if room in blocked:
                    left = True
                    self._release_all(queue)
                    self.deliver({room})  # strictly in order, older rows first
                    continue
                for index, row in enumerate(queue):
                    if not self._renew(row):
                        left = True  # the lease ran out: the poller sends the rest
                        break
                    if self._attempt(row, claimed=True) != "sent":
                        left = True
                        self._release_all(queue[index + 1 :])
                        break
        except Exception:
            log.exception("outbox delivery failed; the poller will retry")
        finally:
            self.ensure_started()
            if left:
                self.poller.wake()

    def _owned(self, row: OutboxMessage, spare: float = 1.0) -> bool:
        """Whether this request's seal on ``row`` still holds for ``spare`` seconds (until it
        runs out nobody else may claim the row, so the request may send or release it)."""
        until = row.claimed_until
        return until is not None and (until - utcnow()).total_seconds() > spare

    def _renew(self, row: OutboxMessage) -> bool:
        """Make sure the seal outlasts one more send (a handler with many replies to a slow
        HipChat could outlive it); False when it ran out and the row is no longer ours."""
        if self._owned(row, spare=self.settings.http_timeout + 2.0):
            return True
        if not self._owned(row):
            return False
        until = self.lease()
        if self._update(row.id, PENDING, M.claimed_until > utcnow(), claimed_until=until):
            row.claimed_until = until
            return True
        return False

    def _blocked_rooms(self, rows: list[OutboxMessage]) -> set[tuple[str, int]]:
        """Rooms of ``rows`` with an older pending row that is not simply in flight for the
        first time: one waiting for a retry, failed before, or left by a crashed sender."""
        first: dict[tuple[str, int], int] = {}
        for row in rows:
            first.setdefault((row.oauth_id, row.room_id), row.id)
        now = utcnow()
        blocked = set()
        with self.store.engine.connect() as connection:  # Core: no session bookkeeping
            for (oauth, room), first_id in first.items():
                params = {"oauth_id": oauth, "room_id": room, "first_id": first_id, "now": now}
                if connection.execute(_OLDER_BLOCKING, params).first() is not None:
                    blocked.add((oauth, room))
        return blocked

    def _release_all(self, rows: Iterable[OutboxMessage]) -> None:
        """Give sealed rows back (unclaimed, due now) to the strict path; a row whose seal ran
        out is left alone (another sender may hold it now)."""
        ids = [row.id for row in rows if self._owned(row)]
        if not ids:
            return
        with self.store.engine.begin() as connection:
            connection.execute(
                update(M)
                .where(M.id.in_(ids), PENDING)
                .values(claimed_until=None, next_attempt_at=utcnow())
            )

    # -- delivery --------------------------------------------------------------------------------

    def deliver(self, rooms: set[tuple[str, int]] | None = None, budget: int = 1000) -> int:
        """Send every due row (of ``rooms``, else all), each room strictly in order; returns
        how many were sent."""
        sent = 0
        while sent < budget:
            heads = self._due_heads(rooms)
            if not heads:
                break
            progressed = False
            for row in heads:
                outcome = self._attempt(row)
                if outcome == "sent":
                    sent += 1
                if outcome in ("sent", "failed"):
                    progressed = True
            if not progressed:
                break
        return sent

    def _due_heads(self, rooms: set[tuple[str, int]] | None) -> list[OutboxMessage]:
        """The oldest pending row of each room, when it is due and not claimed by anyone."""
        now = utcnow()
        heads = select(func.min(M.id)).where(PENDING).group_by(M.oauth_id, M.room_id)
        query = select(M).where(
            M.id.in_(heads),
            M.next_attempt_at <= now,
            or_(M.claimed_until.is_(None), M.claimed_until < now),
        )
        if rooms:
            query = query.where(
                or_(*(and_(M.oauth_id == oauth, M.room_id == room) for oauth, room in rooms))
            )
        with self.store.session() as session:
            return list(session.scalars(query.order_by(M.id).limit(BATCH)))

    def _update(self, row_id: int, *conditions: Any, **values: Any) -> bool:
        """``UPDATE addon_outbox SET values WHERE id = row_id AND conditions``; True if it hit."""
        statement = update(M).where(M.id == row_id, *conditions).values(**values)
        with self.store.engine.begin() as connection:  # Core: no session to synchronise
            return bool(connection.execute(statement).rowcount)

    def claim(self, row_id: int) -> bool:
        """Take the lease on a pending row; False when another sender holds it or it is done."""
        now = utcnow()
        return self._update(
            row_id,
            PENDING,
            or_(M.claimed_until.is_(None), M.claimed_until < now),
            claimed_until=self.lease(),
        )

    def _attempt(self, row: OutboxMessage, *, claimed: bool = False) -> str:
        """Claim (unless ``claimed``), rate-check and send one row: sent, failed, retry, wait
        or taken."""
        if not claimed and not self.claim(row.id):
            return "taken"
        settings = self.settings
        wait = self.limiter.acquire(
            [
                (("room", row.oauth_id, row.room_id), settings.flood_limit, settings.flood_window),
                (("token", row.oauth_id), settings.rate_limit, settings.rate_window),
            ]
        )
        if wait > 0:
            self.counts["deferred"] += 1
            self._release(row, next_in=wait)
            return "wait"
        try:
            client = self.client_for(row.oauth_id)
            if client is None:
                return self._fail(row, "the installation is gone")
            notification = Notification.from_json(json.loads(row.body))
            if row.unconfirmed_since is not None and already_posted(
                client, self.store, row, notification
            ):
                self.counts["confirmed"] += 1
                return self._delivered(row)
        except Exception as exc:  # token minting, the history check, a bad row
            return self._after_error(row, exc)
        started = utcnow()
        try:
            response = client.room(row.room_id).send(
                notification.message, **notification.send_kwargs()
            )
        except Exception as exc:
            return self._after_error(row, exc, sent_at=started)
        self._note_windows(row, response)
        return self._delivered(row)

    def _after_error(
        self, row: OutboxMessage, exc: Exception, sent_at: datetime | None = None
    ) -> str:
        """Retry or fail ``row`` after ``exc``; ``sent_at`` when the send itself failed, so a
        send whose answer was lost is looked up in the history before it goes again."""
        if isinstance(exc, TooManyRequestsError):
            self.counts["throttled"] += 1
        elif isinstance(exc, HipChatError) and exc.status is not None and exc.status < 500:
            return self._fail(row, str(exc))  # any other 4xx: it would never go
        elif not isinstance(exc, HipChatError):  # token minting, a bad row...
            log.warning("outbox row %s: %s: %s", row.id, type(exc).__name__, exc)
        hint = self._hint(row, exc) if isinstance(exc, HipChatError) else None
        if sent_at is not None and row.unconfirmed_since is None and _maybe_posted(exc):
            return self._retry(row, exc, hint, unconfirmed_since=sent_at)
        return self._retry(row, exc, hint)

    def _delivered(self, row: OutboxMessage) -> str:
        """Mark ``row`` delivered (once: a row already marked is not counted again)."""
        with self.store.engine.begin() as connection:
            result = connection.execute(_MARK_DELIVERED, {"row_id": row.id, "now": utcnow()})
        if result.rowcount:
            self.counts["sent"] += 1
        return "sent"

    def _hint(self, row: OutboxMessage, exc: HipChatError) -> float | None:
        """The server's requested wait from the error's response; blocks the exhausted window."""
        if exc.response is None:
            return None
        hint = server_hint(exc.response, time.time())
        if hint is not None and exc.status == 429:
            flood = exc.response.flood_remaining == 0
            key = ("room", row.oauth_id, row.room_id) if flood else ("token", row.oauth_id)
            self.limiter.block(key, max(hint, 0.0))
        return hint

    def _note_windows(self, row: OutboxMessage, response: Any) -> None:
        """Honour a success's limit headers: an exhausted window blocks until its reset."""
        now = time.time()
        if response.flood_remaining == 0 and response.flood_reset is not None:
            self.limiter.block(("room", row.oauth_id, row.room_id), response.flood_reset - now)
        if response.rate_remaining == 0 and response.rate_reset is not None:
            self.limiter.block(("token", row.oauth_id), response.rate_reset - now)

    def backoff(self, attempts: int) -> float:
        """Seconds before retry ``attempts``: exponential, capped, with jitter (50-100 %)."""
        base = min(
            self.settings.outbox_backoff * 2 ** max(attempts - 1, 0),
            self.settings.outbox_backoff_max,
        )
        return base * random.uniform(0.5, 1.0)

    def _release(self, row: OutboxMessage, *, next_in: float, **values: Any) -> None:
        self._update(
            row.id,
            M.delivered_at.is_(None),
            claimed_until=None,
            next_attempt_at=utcnow() + timedelta(seconds=max(next_in, 0.0)),
            **values,
        )

    def _retry(
        self, row: OutboxMessage, exc: BaseException, hint: float | None, **values: Any
    ) -> str:
        attempts = row.attempts + 1
        error = _describe(exc)
        if attempts >= self.settings.outbox_max_attempts:
            log.error(
                "outbox row %s (installation=%s room=%s) given up after %d attempts: %s",
                row.id,
                row.oauth_id,
                row.room_id,
                attempts,
                error,
            )
            return self._fail(row, error, attempts=attempts)
        self.counts["retried"] += 1
        wait = max(hint or 0.0, self.backoff(attempts))
        self._release(row, next_in=wait, attempts=attempts, last_error=error, **values)
        return "retry"

    def _fail(self, row: OutboxMessage, error: str, *, attempts: int | None = None) -> str:
        log.error(
            "outbox row %s (installation=%s room=%s) failed: %s",
            row.id,
            row.oauth_id,
            row.room_id,
            error,
        )
        self.counts["failed"] += 1
        self._update(
            row.id,
            M.delivered_at.is_(None),
            failed_at=utcnow(),
            claimed_until=None,
            attempts=row.attempts + 1 if attempts is None else attempts,
            last_error=error[:1000],
        )
        return "failed"

    # -- status, flush, the poller ---------------------------------------------------------------

    def status(self) -> Status:
        """Counts of pending, delivered and failed rows, and the oldest pending row's age."""
        with self.store.session() as session:
            pending, oldest = session.execute(
                select(func.count(M.id), func.min(M.created_at)).where(PENDING)
            ).one()
            delivered = session.scalar(select(func.count(M.id)).where(M.delivered_at.isnot(None)))
            failed = session.scalar(select(func.count(M.id)).where(M.failed_at.isnot(None)))
        age = None
        if oldest is not None:
            age = max((utcnow() - _as_utc(oldest)).total_seconds(), 0.0)
        return Status(int(pending), int(delivered or 0), int(failed or 0), age)

    def next_due(self) -> datetime | None:
        """When the earliest pending row may be tried again (None when nothing is pending)."""
        with self.store.session() as session:
            rows = session.scalars(
                select(M).where(PENDING).order_by(M.next_attempt_at).limit(1)
            ).all()
        if not rows:
            return None
        claimed = rows[0].claimed_until
        return max(rows[0].next_attempt_at, claimed) if claimed else rows[0].next_attempt_at

    def flush(self, timeout: float) -> int:
        """Deliver everything, waiting for back-off and rate windows up to ``timeout`` seconds;
        returns how many rows are still pending."""
        deadline = time.monotonic() + timeout
        while True:
            self.deliver()
            pending, wait = self._flush_wait()
            if not pending:
                return 0
            left = deadline - time.monotonic()
            if left <= 0 or wait > left:
                return pending
            time.sleep(min(max(wait, 0.01), left))

    def _flush_wait(self) -> tuple[int, float]:
        """(pending rows, seconds until one of them may move), read in one consistent query:
        a row another sender holds may move any moment, so that is a short wait."""
        now = utcnow()
        free = or_(M.claimed_until.is_(None), M.claimed_until <= now)
        query = select(
            func.count(M.id),
            func.count(M.id).filter(~free),
            func.min(M.next_attempt_at).filter(free),
        ).where(PENDING)
        with self.store.engine.connect() as connection:
            pending, busy, due = connection.execute(query).one()
        if busy or due is None:
            return int(pending), 0.05
        return int(pending), (_as_utc(due) - now).total_seconds()

    def ensure_started(self) -> None:
        """Start this process's poller thread if it is not running (see ``addon.outbox_poller``)."""
        self.poller.ensure_started()

    def stop(self) -> None:
        """Stop the poller for good (at app shutdown); pending rows stay in the database."""
        self.poller.stop()


def _as_utc(value: datetime | str) -> datetime:
    """An aggregate's timestamp as an aware datetime (a backend may hand back text or a naive
    value for ``min(...)``; ours are stored in UTC)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _maybe_posted(exc: Exception) -> bool:
    """Whether a failed send may still have been posted: its answer was lost (read timeout,
    dropped connection), or a 500/502/504 that may come after the message was stored (or from a
    gateway that gave up on a backend that did not). A 429 or 503 means it was not."""
    if isinstance(exc, TransportError):
        return exc.maybe_sent
    return isinstance(exc, HipChatError) and exc.status in (500, 502, 504)


def _describe(exc: BaseException) -> str:
    """A short error text for ``last_error`` (HipChat's status and message; never a header)."""
    return f"{type(exc).__name__}: {exc}"[:1000]
