"""Room webhooks over REST (HIPCHAT.md §6.5, §8)."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import Hub, assert_envelope

HOOK = {"url": "https://addon.example.com/hook", "event": "room_message", "pattern": "^/deploy"}


def test_create_201_list_get_delete(hub: Hub, admin_token: str) -> None:
    created = hub.api("POST", "room/1/webhook", admin_token, json={**HOOK, "name": "deploy"})
    assert created.status_code == 201
    body = created.json()
    assert isinstance(body["id"], int)
    assert body["links"]["self"] == f"{hub.url}/v2/room/1/webhook/{body['id']}"
    listed = hub.api("GET", "room/1/webhook", admin_token).json()
    assert listed["items"][0] == {
        "id": body["id"],
        "name": "deploy",
        "event": "room_message",
        "pattern": "^/deploy",
        "url": HOOK["url"],
        "key": None,
        "authentication": "none",
        "links": {"self": body["links"]["self"]},
    }
    one = hub.api("GET", f"room/1/webhook/{body['id']}", admin_token).json()
    assert one["room"]["id"] == 1
    assert "topic" not in one["room"]
    assert one["creator"]["id"] == 1
    assert "email" not in one["creator"]
    assert one["created"]
    expanded = hub.api(
        "GET", f"room/1/webhook/{body['id']}?expand=room,creator", admin_token
    ).json()
    assert expanded["room"]["topic"]
    assert expanded["creator"]["email"] == "ada@example.com"
    assert hub.api("DELETE", f"room/1/webhook/{body['id']}", admin_token).status_code == 204
    assert hub.api("GET", "room/1/webhook", admin_token).json()["items"] == []
    assert_envelope(hub.api("GET", f"room/1/webhook/{body['id']}", admin_token), 404)


def test_webhook_belongs_to_its_room(hub: Hub, admin_token: str) -> None:
    hook_id = hub.api("POST", "room/1/webhook", admin_token, json=HOOK).json()["id"]
    assert_envelope(hub.api("GET", f"room/2/webhook/{hook_id}", admin_token), 404)
    assert_envelope(hub.api("DELETE", "room/1/webhook/abc", admin_token), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"event": "room_message"},
        {"url": "ftp://x", "event": "room_message"},
        {"url": "https://x.example"},
        {"url": "https://x.example", "event": "room_party"},
        {"url": "https://x.example", "event": "room_enter", "pattern": "("},
        {"url": "https://x.example", "event": "room_enter", "key": "k" * 41},
        {"url": "https://x.example", "event": "room_enter", "authentication": "basic"},
    ],
)
def test_webhook_validation(hub: Hub, admin_token: str, body: dict) -> None:
    assert_envelope(hub.api("POST", "room/1/webhook", admin_token, json=body), 400)


def test_webhooks_need_admin_room(hub: Hub) -> None:
    token = hub.token(scopes=["view_group", "send_notification"])
    error = assert_envelope(hub.api("POST", "room/1/webhook", token, json=HOOK), 403)
    assert error["message"] == "This action requires one of the following scopes: [admin_room]"


def test_paging_webhooks(hub: Hub, admin_token: str) -> None:
    for n in range(3):
        hub.api("POST", "room/1/webhook", admin_token, json={**HOOK, "name": f"h{n}"})
    page = hub.api("GET", "room/1/webhook?max-results=2", admin_token).json()
    assert len(page["items"]) == 2
    assert "next" in page["links"]


def test_same_key_from_same_client_replaces(hub: Hub) -> None:
    oauth_id, _ = hub.state.create_client(["admin_room"])
    first = hub.state.add_webhook(1, {**HOOK, "key": "k1"}, oauth_client_id=oauth_id)
    second = hub.state.add_webhook(1, {**HOOK, "key": "k1"}, oauth_client_id=oauth_id)
    assert [h.id for h in hub.state.list_webhooks(1)] == [second.id]
    assert second.id != first.id
    hub.state.delete_client(oauth_id)
    assert hub.state.list_webhooks(1) == []
