"""The reply outbox: transactional replies, exclusive claims, retries, order, limits and the CLI."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from addon import Addon
from addon.config import Settings
from addon.dispatch import Registry, run
from addon.events import parse_event
from addon.extension import EXTENSION_KEY
from addon.hipchat import (
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    InternalServerError,
    RequestTimeoutError,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from addon.hipchat.response import Response
from addon.limiter import Limiter
from addon.outbox import Sender, enqueue
from addon.store import Installation, OutboxMessage, RoomWebhook, Store, migrate

OAUTH_ID = "5a2b9c4e-0000-4000-8000-000000000001"


class FakeRoom:
    def __init__(self, client: FakeClient, room_id: int) -> None:
        self.client, self.room_id = client, room_id

    def send(self, message: str, **kwargs: Any) -> Any:
        return self.client.deliver(self.room_id, message)

    def latest(self, max_results: int | None = None) -> Any:
        return self.client.history(self.room_id)


class FakeClient:
    """Records sends; ``errors`` are raised (first in, first out) before anything is recorded,
    ``lost_answers`` after (the message is posted, its answer lost); ``latest`` shows what was
    posted, or raises ``history_error``."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.dates: list[datetime] = []
        self.errors: list[Exception] = []
        self.lost_answers: list[Exception] = []
        self.history_error: Exception | None = None
        self.history_reads = 0
        self.lock = threading.Lock()

    def room(self, room_id: int) -> FakeRoom:
        return FakeRoom(self, room_id)

    def deliver(self, room_id: int, message: str) -> Any:
        with self.lock:
            if self.errors:
                raise self.errors.pop(0)
            self.sent.append((room_id, message))
            self.dates.append(datetime.now(UTC))
            if self.lost_answers:
                raise self.lost_answers.pop(0)
        return _response(204, {})

    def history(self, room_id: int) -> Any:
        self.history_reads += 1
        if self.history_error is not None:
            raise self.history_error
        items = [
            {"type": "notification", "message": text, "date": date.isoformat()}
            for (room, text), date in zip(self.sent, self.dates, strict=True)
            if room == room_id
        ]
        return Response(status_code=200, data={"items": items})


def _response(status: int, headers: dict[str, str]) -> Response:
    return Response(status_code=status, headers=headers)


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": "https://bot.example.com",
        "database_url": "unused",
        "secret_keys": ("k",),
        "outbox_backoff": 0.01,
        "outbox_backoff_max": 0.05,
        "outbox_poll": 0.05,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate.upgrade(url)
    store = Store(url, "k")
    now = datetime.now(UTC)
    with store.session() as session:
        session.add(
            Installation(
                oauth_id=OAUTH_ID,
                oauth_secret_encrypted=store.box.encrypt("secret"),
                group_id=1,
                room_id=1,
                capabilities_url="https://api.hipchat.com/v2/capabilities",
                token_url="https://api.hipchat.com/v2/oauth/token",
                api_url="https://api.hipchat.com/v2/",
                scopes="send_notification",
                created_at=now,
                updated_at=now,
            )
        )
    yield store
    store.dispose()


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


def make_sender(store: Store, client: FakeClient, **settings: Any) -> Sender:
    return Sender(store, lambda _oauth_id: client, _settings(**settings))  # type: ignore[arg-type]


def add_rows(store: Store, count: int, room_id: int = 1, start: int = 0) -> list[int]:
    with store.session() as session:
        rows = [
            enqueue(session, OAUTH_ID, room_id, {"message": f"m{i:03d}", "color": "gray"})
            for i in range(start, start + count)
        ]
    return [row.id for row in rows]


def rows(store: Store) -> list[OutboxMessage]:
    with store.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def room_message(text: str = "/go") -> dict[str, Any]:
    return {
        "event": "room_message",
        "oauth_client_id": OAUTH_ID,
        "webhook_id": 7,
        "item": {
            "room": {"id": 1, "name": "Lobby"},
            "message": {"id": "m-1", "message": text, "from": {"id": 2, "name": "Ada"}},
        },
    }


def handle(store: Store, sender: Sender, func: Any) -> Any:
    registry = Registry()
    handler = registry.add("room_message", func, key="go")
    event = parse_event(room_message())
    with store.session() as session:
        installation = session.get(Installation, OAUTH_ID)
    event.bind(installation, lambda: pytest.fail("no direct API call expected"), sender)
    return run(handler, event)


# -- the handler's transaction -------------------------------------------------------------------


def handler_work() -> RoomWebhook:
    """A row a handler writes in its own transaction, beside its replies."""
    return RoomWebhook(
        oauth_id=OAUTH_ID,
        room_id=1,
        webhook_id=9,
        handler_key="k",
        event="room_enter",
        url="https://x",
    )


def test_replies_are_committed_with_the_handlers_work_and_sent_at_once(store, client):
    sender = make_sender(store, client)

    def go(event):
        event.session.add(handler_work())
        event.reply("first")
        event.reply("second", color="green")
        return "in the response"

    reply = handle(store, sender, go)
    sender.stop()
    assert reply is not None
    assert reply.message == "in the response"
    assert client.sent == [(1, "first"), (1, "second")]
    stored = rows(store)
    assert [json.loads(r.body)["message"] for r in stored] == ["first", "second"]
    assert all(r.delivered_at is not None and r.attempts == 1 for r in stored)
    with store.session() as session:
        assert session.scalar(select(func.count(RoomWebhook.id))) == 1


def test_a_raising_handler_stores_and_sends_nothing(store, client):
    sender = make_sender(store, client)

    def go(event):
        event.session.add(handler_work())
        event.reply("never sent")
        raise RuntimeError("boom")

    assert handle(store, sender, go) is None
    assert client.sent == []
    assert rows(store) == []
    with store.session() as session:
        assert session.scalar(select(func.count(RoomWebhook.id))) == 0


def test_an_invalid_reply_fails_the_handler_before_anything_is_queued(store, client):
    sender = make_sender(store, client)
    assert handle(store, sender, lambda event: event.reply("x", color="blue")) is None
    assert rows(store) == []
    assert client.sent == []


# -- claims, order, retries ----------------------------------------------------------------------


def test_a_claim_is_exclusive_across_two_senders(store, client):
    ids = add_rows(store, 30)
    first, second = make_sender(store, client), make_sender(store, client)
    for row_id in ids:
        barrier = threading.Barrier(2)
        wins: list[bool] = []

        def grab(
            sender: Sender, row_id: int = row_id, barrier: Any = barrier, wins: Any = wins
        ) -> None:
            barrier.wait()
            wins.append(sender.claim(row_id))

        threads = [threading.Thread(target=grab, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(wins) == [False, True]


def test_two_senders_delivering_at_once_send_each_row_once_in_order(store, client):
    for room in (1, 2, 3):
        add_rows(store, 20, room_id=room, start=room * 100)
    senders = [make_sender(store, client) for _ in range(2)]
    threads = [threading.Thread(target=s.deliver) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sender in senders:  # whatever one pass skipped (claimed by the other) goes now
        sender.deliver()
    assert len(client.sent) == 60 == len(set(client.sent))
    for room in (1, 2, 3):
        texts = [text for r, text in client.sent if r == room]
        assert texts == [f"m{i:03d}" for i in range(room * 100, room * 100 + 20)]
    assert all(r.delivered_at is not None for r in rows(store))


def test_a_failed_row_holds_back_the_rooms_later_rows_until_it_is_sent(store, client):
    add_rows(store, 3)
    add_rows(store, 1, room_id=2, start=50)
    client.errors = [ServiceUnavailableError("down", status=503)]
    sender = make_sender(store, client, outbox_backoff=0.2, outbox_backoff_max=0.2)
    sender.deliver()
    assert client.sent == [(2, "m050")]  # room 1 waits behind its first row
    first = rows(store)[0]
    assert first.attempts == 1
    assert first.delivered_at is None
    assert first.claimed_until is None
    assert "503" in (first.last_error or "")
    assert sender.flush(timeout=5) == 0
    assert [t for r, t in client.sent if r == 1] == ["m000", "m001", "m002"]


def test_transport_errors_are_retried_and_4xx_fails_at_once(store, client):
    add_rows(store, 2)
    client.errors = [
        ConnectionFailedError("refused", maybe_sent=False),
        BadRequestError("bad", status=400),
    ]
    sender = make_sender(store, client)
    assert sender.flush(timeout=5) == 0
    first, second = rows(store)
    assert first.failed_at is not None
    assert first.delivered_at is None
    assert first.attempts == 2
    assert "400" in (first.last_error or "")
    assert second.delivered_at is not None
    assert sender.status().failed == 1
    assert sender.status().delivered == 1


def test_a_send_whose_answer_was_lost_is_found_in_the_history_and_not_sent_again(store, client):
    add_rows(store, 2)
    client.lost_answers = [RequestTimeoutError("slow")]  # m000 is posted, its 204 never comes
    sender = make_sender(store, client)
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["m000", "m001"]
    assert client.history_reads == 1
    assert sender.counts["confirmed"] == 1
    first = rows(store)[0]
    assert first.delivered_at is not None
    assert first.unconfirmed_since is not None
    assert first.attempts == 2


def test_a_send_lost_before_it_arrived_is_sent_again_after_the_history_check(store, client):
    add_rows(store, 1)
    client.errors = [ConnectionFailedError("dropped")]  # maybe sent, but it was not
    sender = make_sender(store, client)
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["m000"]
    assert client.history_reads == 1
    assert sender.counts["confirmed"] == 0


def test_an_earlier_reply_with_the_same_text_is_not_mistaken_for_the_lost_one(store, client):
    with store.session() as session:
        for _ in range(2):
            enqueue(session, OAUTH_ID, 1, {"message": "Deploying", "color": "gray"})
    client.lost_answers = []
    client.errors = [ServiceUnavailableError("x", status=503)]  # hold the second back
    sender = make_sender(store, client)
    sender.deliver()  # first: 503, retried later
    client.errors = []
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["Deploying", "Deploying"]
    # Now a third identical reply whose answer is lost before it was posted.
    with store.session() as session:
        enqueue(session, OAUTH_ID, 1, {"message": "Deploying", "color": "gray"})
    client.errors = [RequestTimeoutError("lost on the way")]
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["Deploying"] * 3  # 2 in history, 2 delivered: resend


def test_without_view_messages_a_lost_answer_is_sent_again_with_a_warning(store, client, caplog):
    add_rows(store, 1)
    client.lost_answers = [RequestTimeoutError("slow")]
    client.history_error = ForbiddenError("scope", status=403)
    sender = make_sender(store, client)
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["m000", "m000"]  # at least once, never lost
    assert "grant the view_messages scope" in caplog.text


def test_a_request_sends_its_sealed_rows_without_waiting_for_a_concurrent_first_attempt(
    store, client
):
    sender = make_sender(store, client)
    with store.session() as session:  # another request's reply, sealed, still in flight
        other = enqueue(session, OAUTH_ID, 1, {"message": "other", "color": "gray"})
        sender.seal([other])
    with store.session() as session:
        mine = [
            enqueue(session, OAUTH_ID, 1, {"message": f"m{i}", "color": "gray"}) for i in (1, 2)
        ]
        sender.seal(mine)
    sender.deliver_now(mine)
    sender.stop()
    assert [t for _, t in client.sent] == ["m1", "m2"]


def test_a_request_waits_behind_an_older_row_that_failed_before(store, client):
    sender = make_sender(store, client, outbox_backoff=30, outbox_backoff_max=30)
    add_rows(store, 1)
    client.errors = [ServiceUnavailableError("down", status=503)]
    sender.deliver()  # m000 failed once, due in ~30 s
    with store.session() as session:
        mine = [enqueue(session, OAUTH_ID, 1, {"message": "new", "color": "gray"})]
        sender.seal(mine)
    sender.deliver_now(mine)
    sender.stop()
    assert client.sent == []  # "new" may not overtake m000
    pending = rows(store)[1]
    assert pending.claimed_until is None  # released to the poller's strict order
    with store.session() as session:
        session.execute(OutboxMessage.__table__.update().values(next_attempt_at=datetime.now(UTC)))
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["m000", "new"]


def test_delivered_rows_are_pruned_after_the_retention(store, client):
    add_rows(store, 2)
    sender = make_sender(store, client, outbox_keep=0)
    sender.deliver()
    sender.poller.prune(force=True)
    assert rows(store) == []


def test_a_row_is_given_up_after_the_maximum_attempts(store, client):
    add_rows(store, 1)
    client.errors = [ServiceUnavailableError("down", status=503) for _ in range(5)]
    sender = make_sender(store, client, outbox_max_attempts=3)
    sender.flush(timeout=5)
    (row,) = rows(store)
    assert row.attempts == 3
    assert row.failed_at is not None
    assert client.sent == []
    assert len(client.errors) == 2


def test_a_429_waits_for_the_servers_reset_and_blocks_the_room(store, client):
    add_rows(store, 2)
    limited = _response(
        429, {"X-FloodControl-Remaining": "0", "X-FloodControl-Reset": "0", "Retry-After": "1"}
    )
    client.errors = [TooManyRequestsError("flood", status=429, response=limited)]
    sender = make_sender(store, client)
    sender.deliver()
    first = rows(store)[0]
    wait = (first.next_attempt_at - datetime.now(UTC)).total_seconds()
    assert 0.5 < wait <= 1.0
    assert sender.counts["throttled"] == 1
    assert sender.limiter.acquire([(("room", OAUTH_ID, 1), 100, 1.0)]) > 0.5
    assert sender.flush(timeout=3) == 0
    assert [t for _, t in client.sent] == ["m000", "m001"]


def test_the_flood_limit_makes_rows_wait_instead_of_sending(store, client):
    add_rows(store, 5)
    sender = make_sender(store, client, flood_limit=3, flood_window=0.5)
    sender.deliver()
    assert len(client.sent) == 3
    assert sender.counts["deferred"] == 1
    assert sender.status().pending == 2
    assert sender.flush(timeout=3) == 0
    assert len(client.sent) == 5


def test_limiter_windows_slide_and_blocks_hold() -> None:
    now = [100.0]
    limiter = Limiter(clock=lambda: now[0])
    limits = [("room", 2, 10.0), ("token", 3, 10.0)]
    assert limiter.acquire(limits) == 0
    now[0] += 4
    assert limiter.acquire(limits) == 0
    assert limiter.acquire(limits) == pytest.approx(6.05)  # the room is full, nothing counted
    assert limiter.acquire([("other", 5, 10.0), ("token", 3, 10.0)]) == 0
    assert limiter.acquire([("other", 5, 10.0), ("token", 3, 10.0)]) == pytest.approx(6.05)
    now[0] += 6.1
    assert limiter.acquire(limits) == 0  # the first send left both windows
    limiter.block("free", 2.0)
    assert limiter.acquire([("free", 5, 1.0)]) == pytest.approx(2.0)


def test_rows_of_a_deleted_installation_vanish(store, client):
    add_rows(store, 4)
    with store.session() as session:
        session.execute(delete(Installation).where(Installation.oauth_id == OAUTH_ID))
    assert rows(store) == []


def test_the_poller_delivers_rows_left_for_later(store, client):
    add_rows(store, 2)
    sender = make_sender(store, client)
    sender.ensure_started()
    try:
        for _ in range(100):
            if len(client.sent) == 2:
                break
            threading.Event().wait(0.02)
    finally:
        sender.stop()
    assert len(client.sent) == 2


# -- flask addon outbox --------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = Flask(__name__)
    app.config.update(
        ADDON_SECRET_KEY="k",
        ADDON_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        ADDON_BASE_URL="https://bot.example.com",
        ADDON_OUTBOX=True,
        ADDON_OUTBOX_BACKOFF=0.01,
    )
    Addon(app, key="com.example.outbox", name="Outbox bot")
    migrate.upgrade(app.extensions[EXTENSION_KEY].settings.database_url)
    yield app
    app.extensions[EXTENSION_KEY].close()


def test_cli_status_and_flush(app: Flask, client: FakeClient) -> None:
    rt = app.extensions[EXTENSION_KEY]
    store = rt.store
    now = datetime.now(UTC)
    with store.session() as session:
        session.add(
            Installation(
                oauth_id=OAUTH_ID,
                oauth_secret_encrypted=store.box.encrypt("secret"),
                group_id=1,
                room_id=1,
                capabilities_url="https://api.hipchat.com/v2/capabilities",
                token_url="https://api.hipchat.com/v2/oauth/token",
                api_url="https://api.hipchat.com/v2/",
                scopes="send_notification",
                created_at=now - timedelta(seconds=5),
                updated_at=now,
            )
        )
    add_rows(store, 3)
    rt.outbox.client_for = lambda _oauth_id: client
    runner = app.test_cli_runner()

    result = runner.invoke(args=["addon", "outbox", "status"])
    assert result.exit_code == 0
    assert result.output.startswith("pending 3  delivered 0  failed 0  oldest pending ")

    client.errors = [ServiceUnavailableError("down", status=503)]
    with store.session() as session:  # the next row is not due for a minute
        session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id == 3)
            .values(next_attempt_at=now + timedelta(seconds=60))
        )
    result = runner.invoke(args=["addon", "outbox", "flush", "--timeout", "1"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: 1 reply still pending after 1 s; see `flask addon outbox status`"
    )
    assert [t for _, t in client.sent] == ["m000", "m001"]

    with store.session() as session:
        session.execute(OutboxMessage.__table__.update().values(next_attempt_at=datetime.now(UTC)))
    result = runner.invoke(args=["addon", "outbox", "flush"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("pending 0  delivered 3  failed 0  oldest pending -")


def test_a_row_deferred_on_its_first_attempt_still_holds_its_room_back(store, client):
    """An unclaimed row that was never tried (flood control made it wait) is older work: a newer
    reply may not pass it (its claimed_until is NULL, which must not read as 'in flight')."""
    sender = make_sender(store, client)
    (older,) = add_rows(store, 1)
    with store.session() as session:
        session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id == older)
            .values(next_attempt_at=datetime.now(UTC) + timedelta(seconds=30))
        )
    with store.session() as session:
        mine = [enqueue(session, OAUTH_ID, 1, {"message": "new", "color": "gray"})]
        sender.seal(mine)
    sender.deliver_now(mine)
    sender.stop()
    assert client.sent == []


def test_a_seal_about_to_run_out_is_renewed_and_one_that_ran_out_is_left_alone(store, client):
    sender = make_sender(store, client, http_timeout=5)
    now = datetime.now(UTC)
    with store.session() as session:
        short = enqueue(session, OAUTH_ID, 1, {"message": "short", "color": "gray"})
        short.claimed_until = now + timedelta(seconds=3)  # less than one send's timeout left
    sender.deliver_now([short])
    assert client.sent == [(1, "short")]
    with store.session() as session:
        lapsed = enqueue(session, OAUTH_ID, 1, {"message": "lapsed", "color": "gray"})
        lapsed.claimed_until = now - timedelta(seconds=1)  # another sender may hold it now
    sender.deliver_now([lapsed])
    sender.stop()
    assert client.sent == [(1, "short")]  # not sent, not released: the poller's to take
    assert rows(store)[1].claimed_until is not None


def test_a_failure_before_the_send_is_not_taken_for_a_lost_answer(store, client):
    """A token endpoint that times out never saw the notification: no history check after."""
    calls: list[int] = []

    def client_for(_oauth_id: str) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RequestTimeoutError("the token endpoint is slow")
        return client

    add_rows(store, 1)
    sender = Sender(store, client_for, _settings())  # type: ignore[arg-type]
    assert sender.flush(timeout=5) == 0
    assert client.history_reads == 0
    assert [t for _, t in client.sent] == ["m000"]
    assert rows(store)[0].unconfirmed_since is None


def test_a_500_after_the_message_was_stored_is_found_in_the_history(store, client):
    add_rows(store, 1)
    client.lost_answers = [InternalServerError("stored, then failed", status=500)]
    sender = make_sender(store, client)
    assert sender.flush(timeout=5) == 0
    assert [t for _, t in client.sent] == ["m000"]  # not posted twice
    assert sender.counts["confirmed"] == 1


def test_a_503_is_retried_without_a_history_check(store, client):
    add_rows(store, 1)
    client.errors = [ServiceUnavailableError("down", status=503)]
    sender = make_sender(store, client)
    assert sender.flush(timeout=5) == 0
    assert client.history_reads == 0
