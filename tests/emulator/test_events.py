"""Room events published to ``Emulator.subscribe`` listeners (the add-on side's webhook source)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from addon.emulator import Emulator
from addon.emulator.state import Room
from tests.emulator.helpers import Hub

Event = tuple[str, int, dict[str, Any]]


@pytest.fixture
def events(hub: Hub) -> list[Event]:
    """Every event the hub's emulator publishes during the test."""
    seen: list[Event] = []
    hub.state.subscribe(lambda name, room, item: seen.append((name, room.id, item)))
    return seen


def test_user_message_and_notification_events(hub: Hub, admin_token: str, events: list) -> None:
    hub.api("POST", "room/1/message", admin_token, json={"message": "hello @bob"})
    hub.api("POST", "room/1/notification", admin_token, json={"message": "note", "from": "CI"})
    assert [(name, room) for name, room, _ in events] == [
        ("room_message", 1),
        ("room_notification", 1),
    ]
    message_item, notification_item = events[0][2], events[1][2]
    assert message_item["message"]["from"]["id"] == 1
    assert message_item["message"]["type"] == "message"
    assert [m["id"] for m in message_item["message"]["mentions"]] == [2]
    assert message_item["room"]["id"] == 1
    assert message_item["room"]["links"]["self"] == f"{hub.url}/v2/room/1"
    assert notification_item["message"]["from"] == "CI"
    assert notification_item["message"]["type"] == "notification"


def test_reply_and_share_link_are_room_messages(hub: Hub, admin_token: str, events: list) -> None:
    parent = hub.state.post_user_message(1, "@bob", "question").id
    hub.api("POST", "room/1/reply", admin_token, json={"parentMessageId": parent, "message": "a"})
    hub.api("POST", "room/1/share/link", admin_token, json={"link": "https://x.example"})
    assert [name for name, _, _ in events] == ["room_message"] * 3
    assert events[0][2]["message"]["from"]["mention_name"] == "bob"


def test_enter_exit_and_topic_events(hub: Hub, admin_token: str, events: list) -> None:
    hub.state.enter_room(1, "@carol")
    hub.state.enter_room(1, "@carol")
    hub.state.exit_room(1, 3)
    hub.api("PUT", "room/1/topic", admin_token, json={"topic": "release day"})
    assert [name for name, _, _ in events] == ["room_enter", "room_exit", "room_topic_change"]
    assert events[0][2]["sender"]["id"] == 3
    assert events[1][2]["sender"]["mention_name"] == "carol"
    assert events[2][2]["topic"] == "release day"
    assert events[2][2]["sender"]["id"] == 1


def test_room_lifecycle_events(hub: Hub, admin_token: str, events: list) -> None:
    room_id = hub.api("POST", "room", admin_token, json={"name": "Tmp"}).json()["id"]
    body = {"name": "Tmp", "privacy": "public", "is_guest_accessible": False, "topic": ""}
    hub.api("PUT", f"room/{room_id}", admin_token, json={**body, "is_archived": True})
    hub.api("PUT", f"room/{room_id}", admin_token, json={**body, "is_archived": False})
    hub.api("DELETE", f"room/{room_id}", admin_token)
    assert [(name, rid) for name, rid, _ in events] == [
        ("room_created", room_id),
        ("room_archived", room_id),
        ("room_unarchived", room_id),
        ("room_deleted", room_id),
    ]
    assert events[3][2]["room"]["name"] == "Tmp"
    assert all(item["sender"]["id"] == 1 for _, _, item in events)


def test_notifications_from_state_and_no_events_for_failures(hub: Hub, events: list) -> None:
    message = hub.state.post_notification(1, {"message": "hi", "color": "red"}, "My Add-on")
    assert message.from_label == "My Add-on"
    with pytest.raises(ValueError, match="message"):
        hub.state.post_notification(1, {"message": ""}, "My Add-on")
    assert [name for name, _, _ in events] == ["room_notification"]
    assert events[0][2]["message"]["color"] == "red"


def test_listeners_run_outside_the_lock(hub: Hub, admin_token: str) -> None:
    results: list[bool] = []

    def listener(name: str, room: Room, item: dict) -> None:
        outcome: list[bool] = []

        def probe() -> None:
            got = hub.state.lock.acquire(timeout=2)
            if got:
                hub.state.lock.release()
            outcome.append(got)

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        results.append(outcome == [True])
        hub.state.find_room(room.id)

    hub.state.subscribe(listener)
    assert hub.api("POST", "room/1/message", admin_token, json={"message": "x"}).status_code == 201
    assert results == [True]


def test_failing_listener_is_isolated_and_unsubscribe(hub: Hub, admin_token: str) -> None:
    seen: list[str] = []

    def broken(name: str, room: Room, item: dict) -> None:
        raise RuntimeError("listener bug")

    hub.state.subscribe(broken)
    unsubscribe = hub.state.subscribe(lambda name, room, item: seen.append(name))
    assert (
        hub.api("POST", "room/1/notification", admin_token, json={"message": "a"}).status_code
        == 204
    )
    unsubscribe()
    hub.state.post_notification(1, {"message": "b"})
    assert seen == ["room_notification"]


def test_events_use_the_configured_base_url() -> None:
    state = Emulator({"EMULATOR_BASE_URL": "https://chat.example.test"})
    seen: list[dict] = []
    state.subscribe(lambda name, room, item: seen.append(item))
    state.post_user_message("Lobby", "@ada", "hi")
    assert seen[0]["room"]["links"]["self"] == "https://chat.example.test/v2/room/1"
    assert seen[0]["message"]["from"]["links"]["self"] == "https://chat.example.test/v2/user/1"
