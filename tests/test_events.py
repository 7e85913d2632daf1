"""Webhook events: every §5.2 payload parses into its typed class; bad envelopes are EventErrors."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addon.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    Event,
    EventError,
    File,
    GenericEvent,
    Room,
    RoomArchived,
    RoomCreated,
    RoomDeleted,
    RoomEnter,
    RoomExit,
    RoomFileUpload,
    RoomMessage,
    RoomNotification,
    RoomTopicChange,
    RoomUnarchived,
    User,
    parse_event,
)
from addon.replies import Card, Notification, NotificationError

ROOM = {
    "id": 2390200,
    "name": "HackyThursday",
    "privacy": "public",
    "is_archived": False,
    "version": "UA25ZO8M",
    "links": {
        "self": "https://api.hipchat.com/v2/room/2390200",
        "participants": "https://api.hipchat.com/v2/room/2390200/participant",
        "webhooks": "https://api.hipchat.com/v2/room/2390200/webhook",
    },
}
USER = {
    "id": 3450167,
    "mention_name": "BenoitPerroud",
    "name": "Benoit Perroud",
    "version": "00000000",
    "links": {"self": "https://api.hipchat.com/v2/user/3450167"},
}
MENTIONED = {"id": 14, "mention_name": "TestUser", "name": "Test User", "links": {}}
FILE = {"name": "log.txt", "size": 1234, "url": "https://f/log.txt", "thumb_url": "https://f/t"}
OAUTH_ID = "b80f3c24-76ce-442a-9499-33dd895ccebf"


def envelope(event: str, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"event": event, "item": item, "oauth_client_id": OAUTH_ID, "webhook_id": 4694751}
    return body | extra


def room_message() -> dict[str, Any]:
    return envelope(
        "room_message",
        {
            "message": {
                "date": "2016-09-06T21:53:37.420887+00:00",
                "from": USER,
                "id": "6f3c2b5e-8a42-4a2e-9b65-0a1f6c1c9f30",
                "mentions": [MENTIONED],
                "message": "/deploy prod @TestUser",
                "type": "message",
                "file": FILE,
            },
            "room": ROOM,
        },
    )


def room_notification() -> dict[str, Any]:
    return envelope(
        "room_notification",
        {
            "message": {
                "date": "2016-09-06T21:53:37Z",
                "from": "Jenkins",
                "id": "aa7bd3b3-5cd0-4b8e-8d6c-5b2a3b0fe111",
                "mentions": [],
                "message": "<b>Build</b> passed",
                "message_format": "html",
                "color": "green",
                "type": "notification",
            },
            "room": ROOM,
        },
    )


def with_sender(event: str, **item: Any) -> dict[str, Any]:
    return envelope(event, {"room": ROOM, "sender": USER, **item})


# --- each event type -----------------------------------------------------------------------------


def test_all_ten_event_types_are_known() -> None:
    assert set(EVENT_TYPES) == {
        "room_message",
        "room_notification",
        "room_enter",
        "room_exit",
        "room_topic_change",
        "room_archived",
        "room_unarchived",
        "room_created",
        "room_deleted",
        "room_file_upload",
    }
    assert all(cls.event_type == name for name, cls in EVENT_CLASSES.items())


def test_room_message() -> None:
    payload = room_message()
    event = parse_event(payload)
    assert isinstance(event, RoomMessage)
    assert event.type == "room_message"
    assert event.payload is payload
    assert event.item is payload["item"]
    assert event.oauth_client_id == OAUTH_ID
    assert event.webhook_id == 4694751
    assert event.room == Room(2390200, "HackyThursday", "public", False, ROOM["links"])
    assert event.sender == User(3450167, "Benoit Perroud", "BenoitPerroud", USER["links"])
    message = event.message
    assert message is not None
    assert message.text == "/deploy prod @TestUser"
    assert message.id == "6f3c2b5e-8a42-4a2e-9b65-0a1f6c1c9f30"
    assert message.type == "message"
    assert message.from_user == event.sender
    assert message.from_label is None
    assert message.date == datetime(2016, 9, 6, 21, 53, 37, 420887, tzinfo=UTC)
    assert message.date_raw == "2016-09-06T21:53:37.420887+00:00"
    assert event.mentions == [User(14, "Test User", "TestUser", {})]
    assert message.mentions == event.mentions
    assert event.file == File("log.txt", 1234, "https://f/log.txt", "https://f/t")
    assert message.file == event.file
    assert event.topic is None
    assert event.installation is None
    assert event.match is None


def test_room_notification_from_is_a_label() -> None:
    event = parse_event(room_notification())
    assert isinstance(event, RoomNotification)
    assert event.message is not None
    assert event.message.from_label == "Jenkins"
    assert event.message.from_user is None
    assert event.sender is None
    assert event.message.message_format == "html"
    assert event.message.color == "green"
    assert event.message.type == "notification"
    assert event.message.date == datetime(2016, 9, 6, 21, 53, 37, tzinfo=UTC)
    assert event.mentions == []


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("room_enter", RoomEnter),
        ("room_exit", RoomExit),
        ("room_archived", RoomArchived),
        ("room_unarchived", RoomUnarchived),
        ("room_created", RoomCreated),
        ("room_deleted", RoomDeleted),
    ],
)
def test_room_and_sender_events(name: str, cls: type[Event]) -> None:
    event = parse_event(with_sender(name))
    assert type(event) is cls
    assert event.room is not None
    assert event.room.id == 2390200
    assert event.sender is not None
    assert event.sender.mention_name == "BenoitPerroud"
    assert event.message is None
    assert event.mentions == []
    # sender is "probably" there for some of these (§5.2): its absence is fine
    assert parse_event(envelope(name, {"room": ROOM})).sender is None


def test_room_topic_change() -> None:
    event = parse_event(with_sender("room_topic_change", topic="Release day"))
    assert isinstance(event, RoomTopicChange)
    assert event.topic == "Release day"
    assert event.sender is not None


def test_room_file_upload() -> None:
    event = parse_event(with_sender("room_file_upload", file=FILE))
    assert isinstance(event, RoomFileUpload)
    assert event.file == File("log.txt", 1234, "https://f/log.txt", "https://f/t")


def test_unknown_type_is_a_generic_event() -> None:
    event = parse_event(envelope("room_party", {"room": ROOM, "balloons": 99}))
    assert type(event) is GenericEvent
    assert event.type == "room_party"
    assert event.item["balloons"] == 99
    assert event.room is not None
    assert "GenericEvent" in repr(event)


# --- tolerance -----------------------------------------------------------------------------------


def test_empty_item_leaves_everything_empty() -> None:
    event = parse_event({"event": "room_message", "item": {}})
    assert isinstance(event, RoomMessage)
    assert (event.room, event.sender, event.message, event.file, event.topic) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert event.mentions == []
    assert event.oauth_client_id is None
    assert event.webhook_id is None


def test_odd_parts_are_tolerated() -> None:
    payload = envelope(
        "room_message",
        {
            "room": {"id": "8", "links": {"self": 5, "ok": "https://x"}, "is_archived": "no"},
            "message": {
                "from": 12,
                "id": 7,
                "message": None,
                "mentions": [{"id": "nope"}, "x", None],
                "date": "yesterday",
                "file": "not a file",
            },
            "topic": ["not", "a", "string"],
        },
        webhook_id="11",
    )
    event = parse_event(payload)
    assert event.webhook_id == 11
    assert event.room == Room(8, None, None, None, {"ok": "https://x"})
    assert event.message is not None
    assert event.message.text == ""
    assert event.message.id == "7"
    assert event.message.from_user is None
    assert event.message.from_label is None
    assert event.message.mentions == [User(None)]
    assert event.message.date is None
    assert event.message.date_raw == "yesterday"
    assert event.file is None
    assert event.topic is None
    assert event.sender is None


def test_item_sender_wins_over_message_from() -> None:
    payload = room_message()
    payload["item"]["sender"] = MENTIONED
    assert parse_event(payload).sender == User(14, "Test User", "TestUser", {})


# --- envelope errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "room_message",
        ["event"],
        {},
        {"item": {}},
        {"event": None, "item": {}},
        {"event": "", "item": {}},
        {"event": 5, "item": {}},
        {"event": "room_message"},
        {"event": "room_message", "item": None},
        {"event": "room_message", "item": []},
        {"event": "room_message", "item": "x"},
        {"event": "room_message", "item": {}, "webhook_id": "abc"},
        {"event": "room_message", "item": {}, "webhook_id": True},
        {"event": "room_message", "item": {}, "webhook_id": 1.5},
        {"event": "room_message", "item": {}, "webhook_id": "1" * 40},
        {"event": "room_message", "item": {}, "oauth_client_id": 5},
    ],
)
def test_malformed_envelopes(payload: Any) -> None:
    with pytest.raises(EventError):
        parse_event(payload)


def test_event_error_is_a_value_error() -> None:
    assert issubclass(EventError, ValueError)


def test_direct_construction_checks_the_envelope_too() -> None:
    assert RoomEnter(with_sender("room_enter")).sender is not None
    with pytest.raises(EventError):
        RoomEnter({"event": "room_enter", "item": []})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=15,
)
_item_keys = st.sampled_from(["room", "message", "sender", "file", "topic", "x"])
_message_keys = st.sampled_from(["from", "id", "mentions", "message", "date", "file", "type"])


@given(
    event=st.sampled_from([*EVENT_TYPES, "other"]) | _json,
    item=st.dictionaries(_item_keys, _json | st.dictionaries(_message_keys, _json)) | _json,
    webhook_id=_json,
)
def test_any_payload_parses_or_raises_event_error(event: Any, item: Any, webhook_id: Any) -> None:
    payload = {"event": event, "item": item, "webhook_id": webhook_id}
    before = copy.deepcopy(payload)
    try:
        parsed = parse_event(payload)
    except EventError:
        return
    assert isinstance(parsed, EVENT_CLASSES.get(event, GenericEvent))
    assert parsed.webhook_id is None or isinstance(parsed.webhook_id, int)
    assert payload == before  # parsing never mutates the body


# --- replying ------------------------------------------------------------------------------------


class FakeRoom:
    def __init__(self, calls: list[tuple[Any, ...]], room_id: int) -> None:
        self.calls = calls
        self.room_id = room_id

    def send(self, message: str, **kwargs: Any) -> None:
        self.calls.append((self.room_id, message, kwargs))


class FakeClient:
    """Records room(...).send(...) calls, the only client API events use."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def room(self, room_id: int) -> FakeRoom:
        return FakeRoom(self.calls, room_id)


def bound(payload: dict[str, Any] | None = None) -> tuple[Event, FakeClient, list[int]]:
    event = parse_event(payload or room_message())
    client = FakeClient()
    made: list[int] = []

    def factory() -> Any:
        made.append(1)
        return client

    event.bind("the-installation", factory)  # type: ignore[arg-type]
    return event, client, made


def test_reply_with_text_sends_a_text_notification() -> None:
    event, client, made = bound()
    event.reply("Deploying <prod>")
    assert client.calls == [
        (
            2390200,
            "Deploying <prod>",
            {
                "notify": False,
                "color": "yellow",
                "message_format": "text",
                "card": None,
                "from_": None,
                "attach_to": None,
            },
        )
    ]
    assert event.installation == "the-installation"
    event.reply("again")
    assert made == [1]  # one client per event


def test_reply_with_options_notification_and_card() -> None:
    event, client, _ = bound()
    event.reply("Done", color="green", notify=True)
    event.reply(Notification("<b>ok</b>", color="purple"))
    card = Card("link", "c", "Title", url="https://x")
    event.reply(card)
    (_, _, first), (_, second_text, second), (_, third_text, third) = client.calls
    assert (first["color"], first["notify"], first["message_format"]) == ("green", True, "text")
    assert (second_text, second["color"], second["message_format"]) == (
        "<b>ok</b>",
        "purple",
        "html",
    )
    assert third_text == "Title"
    assert third["card"] == card.to_json()


def test_reply_validates_before_sending() -> None:
    event, client, made = bound()
    with pytest.raises(NotificationError):
        event.reply("x", color="blue")
    with pytest.raises(NotificationError):
        event.reply("")
    with pytest.raises(NotificationError):
        event.reply(None)  # type: ignore[arg-type]
    assert client.calls == []
    assert made == []


def test_reply_without_a_room_is_a_runtime_error() -> None:
    event, client, _ = bound(with_sender("room_enter") | {"item": {"sender": USER}})
    with pytest.raises(RuntimeError, match="no room"):
        event.reply("hi")
    event, client, _ = bound(envelope("room_enter", {"room": {"name": "no id"}}))
    with pytest.raises(RuntimeError, match="no room"):
        event.reply("hi")
    assert client.calls == []


def test_unbound_event_has_no_client() -> None:
    event = parse_event(room_message())
    with pytest.raises(RuntimeError, match="not bound"):
        _ = event.client
    with pytest.raises(RuntimeError, match="not bound"):
        event.reply("hi")
