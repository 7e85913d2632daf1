"""Room messaging and history (HIPCHAT.md §6.3, §6.3.1, §6.10, §7.2-§7.4, §8)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import requests

from tests.emulator.helpers import Hub, assert_envelope

CARD = {
    "style": "application",
    "id": "build-1",
    "title": "Build #1 passed",
    "format": "medium",
    "url": "https://ci.example.com/1",
    "description": {"value": "<b>main</b> built", "format": "html"},
    "icon": {"url": "https://ci.example.com/i.png"},
    "attributes": [{"label": "Status", "value": {"label": "passed", "style": "lozenge-success"}}],
}


def test_notification_204_empty_and_stored(hub: Hub, admin_token: str) -> None:
    response = hub.api(
        "POST",
        "room/1/notification",
        admin_token,
        json={
            "message": "Deployed <b>v2</b>",
            "color": "green",
            "notify": "true",
            "message_format": "html",
            "from": "CI",
            "card": CARD,
            "attach_to": "6b8e5fb3-4d1c-4d60-b1c5-2b1f0e0d9b11",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    item = hub.api("GET", "room/1/history", admin_token).json()["items"][-1]
    assert item["type"] == "notification"
    assert item["from"] == "CI"
    assert item["color"] == "green"
    assert item["message_format"] == "html"
    assert item["message"] == "Deployed <b>v2</b>"
    assert item["card"]["id"] == "build-1"
    assert item["attach_to"] == "6b8e5fb3-4d1c-4d60-b1c5-2b1f0e0d9b11"
    uuid.UUID(item["id"])
    assert datetime.fromisoformat(item["date"]).utcoffset() == timedelta(0)


def test_notification_defaults_and_mentions(hub: Hub, admin_token: str) -> None:
    hub.api("POST", "room/1/notification", admin_token, json={"message": "plain"})
    hub.api(
        "POST",
        "room/1/notification",
        admin_token,
        json={"message": "ping @bob and @nobody", "message_format": "text", "color": "random"},
    )
    first, second = hub.api("GET", "room/1/history", admin_token).json()["items"]
    assert (first["color"], first["message_format"], first["mentions"]) == ("yellow", "html", [])
    assert first["from"] == "Ada Admin"
    assert [m["mention_name"] for m in second["mentions"]] == ["bob"]
    assert second["color"] in {"yellow", "green", "red", "purple", "gray"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": ""},
        {"message": "x" * 10001},
        {"message": "x", "color": "blue"},
        {"message": "x", "message_format": "markdown"},
        {"message": "x", "notify": "maybe"},
        {"message": "x", "from": "f" * 65},
        {"message": "x", "card": "not an object"},
        {"message": "x", "card": {"style": "application", "id": "1"}},
        {"message": "x", "card": {**CARD, "style": "poster"}},
        {"message": "x", "card": {**CARD, "format": "huge"}},
        {"message": "x", "card": {**CARD, "attributes": [{"value": {"style": "lozenge"}}]}},
        {"card": CARD},
    ],
)
def test_notification_validation(hub: Hub, admin_token: str, body: dict) -> None:
    assert_envelope(hub.api("POST", "room/1/notification", admin_token, json=body), 400)
    assert hub.state.room_history(1) == []


def test_notification_length_limit_is_inclusive(hub: Hub, admin_token: str) -> None:
    ok = hub.api("POST", "room/1/notification", admin_token, json={"message": "x" * 10000})
    assert ok.status_code == 204


def test_room_message_201_with_id_and_timestamp(hub: Hub, admin_token: str) -> None:
    response = hub.api("POST", "room/Lobby/message", admin_token, json={"message": "hi @carol"})
    assert response.status_code == 201
    body = response.json()
    uuid.UUID(body["id"])
    datetime.fromisoformat(body["timestamp"])
    item = hub.api("GET", f"room/1/history/{body['id']}", admin_token).json()["message"]
    assert item["type"] == "message"
    assert item["from"]["id"] == 1
    assert item["from"]["links"]["self"] == f"{hub.url}/v2/user/1"
    assert [m["id"] for m in item["mentions"]] == [3]
    assert_envelope(hub.api("POST", "room/1/message", admin_token, json={"message": ""}), 400)
    too_long = hub.api("POST", "room/1/message", admin_token, json={"message": "x" * 1001})
    assert_envelope(too_long, 400)


@pytest.mark.parametrize("key", ["parentMessageId", "parent_message_id"])
def test_reply_accepts_both_parent_keys(hub: Hub, admin_token: str, key: str) -> None:
    parent = hub.api("POST", "room/1/message", admin_token, json={"message": "q"}).json()["id"]
    response = hub.api("POST", "room/1/reply", admin_token, json={key: parent, "message": "a"})
    assert response.status_code == 204
    assert hub.state.room_history(1)[-1].parent_message_id == parent
    missing = hub.api("POST", "room/1/reply", admin_token, json={"message": "a"})
    assert_envelope(missing, 400)
    unknown = hub.api(
        "POST", "room/1/reply", admin_token, json={key: str(uuid.uuid4()), "message": "a"}
    )
    assert_envelope(unknown, 400)


def test_share_link(hub: Hub, admin_token: str) -> None:
    body = {"link": "https://example.com/doc", "message": "read this"}
    assert hub.api("POST", "room/1/share/link", admin_token, json=body).status_code == 204
    item = hub.api("GET", "room/1/history", admin_token).json()["items"][-1]
    assert "https://example.com/doc" in item["message"]
    assert item["type"] == "message"
    assert_envelope(hub.api("POST", "room/1/share/link", admin_token, json={"link": "nope"}), 400)


def test_history_paging_reverse_and_expand(hub: Hub, admin_token: str) -> None:
    for n in range(5):
        hub.api("POST", "room/1/message", admin_token, json={"message": f"m{n}"})
    first = hub.api("GET", "room/1/history?max-results=2", admin_token).json()
    assert [i["message"] for i in first["items"]] == ["m0", "m1"]
    second = requests.get(
        first["links"]["next"], headers={"Authorization": f"Bearer {admin_token}"}, timeout=5
    ).json()
    assert [i["message"] for i in second["items"]] == ["m2", "m3"]
    newest = hub.api("GET", "room/1/history?reverse=false&max-results=2", admin_token).json()
    assert [i["message"] for i in newest["items"]] == ["m4", "m3"]
    expanded = hub.api("GET", "room/1/history?expand=items.from", admin_token).json()
    assert expanded["items"][0]["from"]["email"] == "ada@example.com"
    plain = hub.api("GET", "room/1/history", admin_token).json()
    assert "email" not in plain["items"][0]["from"]


def test_history_date_filters(hub: Hub, admin_token: str) -> None:
    hub.api("POST", "room/1/message", admin_token, json={"message": "old"})
    cut = hub.state.room_history(1)[-1].date
    hub.api("POST", "room/1/message", admin_token, json={"message": "new"})
    until = cut.isoformat()
    data = hub.api("GET", "room/1/history", admin_token, params={"date": until}).json()
    assert [i["message"] for i in data["items"]] == ["old"]
    unencoded = requests.get(
        f"{hub.url}/v2/room/1/history?date={until}&auth_token={admin_token}", timeout=5
    )
    assert [i["message"] for i in unencoded.json()["items"]] == ["old"]
    since = hub.api(
        "GET",
        "room/1/history",
        admin_token,
        params={"date": (cut + timedelta(hours=1)).isoformat(), "end-date": until},
    ).json()
    assert [i["message"] for i in since["items"]] == ["old", "new"]
    recent = hub.api("GET", "room/1/history?date=recent", admin_token).json()
    assert [i["message"] for i in recent["items"]] == ["old", "new"]
    assert "next" not in recent["links"]
    assert_envelope(hub.api("GET", "room/1/history?date=yesterday", admin_token), 400)


def test_recent_history_is_capped_at_75(hub: Hub, admin_token: str) -> None:
    for n in range(80):
        hub.state.post_user_message(1, 2, f"n{n}")
    recent = hub.api("GET", "room/1/history?date=recent", admin_token).json()["items"]
    assert len(recent) == 75
    assert recent[-1]["message"] == "n79"


def test_latest_history_and_not_before(hub: Hub, admin_token: str) -> None:
    ids = [hub.state.post_user_message(1, 1, f"x{n}").id for n in range(4)]
    latest = hub.api("GET", "room/1/history/latest?max-results=2", admin_token).json()
    assert [i["message"] for i in latest["items"]] == ["x2", "x3"]
    after = hub.api("GET", f"room/1/history/latest?not-before={ids[1]}", admin_token).json()
    assert [i["message"] for i in after["items"]] == ["x1", "x2", "x3"]
    assert_envelope(hub.api("GET", "room/1/history/latest?not-before=zzz", admin_token), 400)


def test_single_message_lookup(hub: Hub, admin_token: str) -> None:
    sent = hub.state.post_user_message(1, 2, "hello")
    got = hub.api("GET", f"room/1/history/{sent.id}?expand=message.from", admin_token).json()
    assert got["message"]["from"]["email"] == "bob@example.com"
    assert_envelope(hub.api("GET", f"room/1/history/{uuid.uuid4()}", admin_token), 404)
    assert_envelope(hub.api("GET", f"room/2/history/{sent.id}", admin_token), 404)


def test_history_needs_view_messages(hub: Hub) -> None:
    token = hub.token(scopes=["view_group", "view_room"])
    error = assert_envelope(hub.api("GET", "room/1/history", token), 403)
    assert "view_messages" in error["message"]
