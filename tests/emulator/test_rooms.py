"""Rooms (HIPCHAT.md §6.1-§6.3, §6.11, §8): CRUD, paging, expand, identifiers, members."""

from __future__ import annotations

import base64
from urllib.parse import quote

import requests

from tests.emulator.helpers import Hub, assert_envelope


def test_list_rooms_collection_shape(hub: Hub, admin_token: str) -> None:
    data = hub.api("GET", "room", admin_token).json()
    assert data["startIndex"] == 0
    assert data["maxResults"] == 100
    assert [r["name"] for r in data["items"]] == ["Lobby", "Secret Lab"]
    lobby, lab = data["items"]
    assert lobby["links"]["self"] == f"{hub.url}/v2/room/1"
    assert lobby["links"]["participants"] == f"{hub.url}/v2/room/1/participant"
    assert lobby["links"]["webhooks"] == f"{hub.url}/v2/room/1/webhook"
    assert "members" not in lobby["links"]
    assert lab["links"]["members"] == f"{hub.url}/v2/room/2/member"
    assert data["links"]["self"].startswith(f"{hub.url}/v2/room")
    assert "next" not in data["links"]
    assert "prev" not in data["links"]


def test_list_rooms_filters(hub: Hub, admin_token: str) -> None:
    public = hub.api("GET", "room?include-private=false", admin_token).json()["items"]
    assert [r["id"] for r in public] == [1]
    hub.state.update_room(
        1,
        {
            "name": "Lobby",
            "privacy": "public",
            "is_archived": True,
            "is_guest_accessible": False,
            "topic": "",
        },
    )
    assert [r["id"] for r in hub.api("GET", "room", admin_token).json()["items"]] == [2]
    everything = hub.api("GET", "room?include-archived=true", admin_token).json()["items"]
    assert [r["id"] for r in everything] == [1, 2]


def test_paging_follows_links_next(hub: Hub, admin_token: str) -> None:
    for n in range(5):
        assert hub.api("POST", "room", admin_token, json={"name": f"Extra {n}"}).status_code == 201
    url = f"{hub.url}/v2/room?max-results=3"
    pages = []
    while url:
        page = requests.get(url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=5)
        data = page.json()
        pages.append(data)
        url = data["links"].get("next")
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [p["startIndex"] for p in pages] == [0, 3, 6]
    assert all(p["maxResults"] == 3 for p in pages)
    assert "prev" not in pages[0]["links"]
    assert pages[1]["links"]["prev"].startswith(f"{hub.url}/v2/room?")
    assert "start-index=0" in pages[1]["links"]["prev"]
    ids = [item["id"] for p in pages for item in p["items"]]
    assert ids == sorted(set(ids))
    assert len(ids) == 7


def test_max_results_is_capped_and_validated(hub: Hub, admin_token: str) -> None:
    data = hub.api("GET", "room?max-results=5000", admin_token).json()
    assert data["maxResults"] == 1000
    assert_envelope(hub.api("GET", "room?max-results=lots", admin_token), 400)
    assert_envelope(hub.api("GET", "room?start-index=-1", admin_token), 400)


def test_create_room_201_and_get(hub: Hub, admin_token: str) -> None:
    response = hub.api(
        "POST",
        "room",
        admin_token,
        json={"name": "Ops", "privacy": "private", "topic": "pager", "owner_user_id": 2},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "links"}
    assert body["links"]["self"] == f"{hub.url}/v2/room/{body['id']}"
    room = hub.api("GET", f"room/{body['id']}", admin_token).json()
    assert room["name"] == "Ops"
    assert room["privacy"] == "private"
    assert room["topic"] == "pager"
    assert room["owner"]["id"] == 2
    assert room["is_guest_accessible"] is False
    assert room["guest_access_url"] is None


def test_create_room_validation(hub: Hub, admin_token: str) -> None:
    cases = [
        {},
        {"name": ""},
        {"name": "x" * 51},
        {"name": "Lobby"},
        {"name": "ok", "privacy": "secret"},
        {"name": "ok", "topic": "t" * 251},
        {"name": "ok", "owner_user_id": 999},
    ]
    for body in cases:
        assert_envelope(hub.api("POST", "room", admin_token, json=body), 400)
    assert hub.api("POST", "room", admin_token, json={"name": "x" * 50}).status_code == 201


def test_get_room_full_shape(hub: Hub, admin_token: str) -> None:
    room = hub.api("GET", "room/1", admin_token).json()
    for key in (
        "id",
        "name",
        "xmpp_jid",
        "topic",
        "privacy",
        "is_archived",
        "is_guest_accessible",
        "guest_access_url",
        "created",
        "last_active",
        "owner",
        "participants",
        "statistics",
        "version",
        "links",
        "delegate_admin_visibility",
        "avatar_url",
    ):
        assert key in room, key
    assert room["owner"] == {
        "id": 1,
        "mention_name": "ada",
        "name": "Ada Admin",
        "version": room["owner"]["version"],
        "links": {"self": f"{hub.url}/v2/user/1"},
    }
    assert [p["id"] for p in room["participants"]] == [1, 2]
    assert "email" not in room["participants"][0]
    assert room["statistics"] == {"links": {"self": f"{hub.url}/v2/room/1/statistics"}}


def test_get_room_expand(hub: Hub, admin_token: str) -> None:
    room = hub.api("GET", "room/1?expand=owner,participants,statistics", admin_token).json()
    assert room["owner"]["email"] == "ada@example.com"
    assert room["participants"][1]["email"] == "bob@example.com"
    assert room["statistics"]["messages_sent"] == 0
    repeated = hub.api("GET", "room/1?expand=owner&expand=statistics", admin_token).json()
    assert "email" in repeated["owner"]
    assert "messages_sent" in repeated["statistics"]
    listed = hub.api("GET", "room?expand=items", admin_token).json()["items"]
    assert listed[0]["topic"] == "Welcome to the emulated HipChat"


def test_room_by_url_encoded_name(hub: Hub, admin_token: str) -> None:
    by_name = hub.api("GET", f"room/{quote('Secret Lab')}", admin_token)
    assert by_name.status_code == 200
    assert by_name.json()["id"] == 2
    assert hub.api("GET", "room/lobby", admin_token).json()["id"] == 1
    assert_envelope(hub.api("GET", "room/Nowhere", admin_token), 404, "Room not found")


def test_update_room_is_full_replacement(hub: Hub, admin_token: str) -> None:
    body = {
        "name": "Front Desk",
        "privacy": "private",
        "is_archived": False,
        "is_guest_accessible": True,
        "topic": "new",
        "owner": {"id": 3},
    }
    assert hub.api("PUT", "room/1", admin_token, json=body).status_code == 204
    room = hub.api("GET", f"room/{quote('Front Desk')}", admin_token).json()
    assert (room["name"], room["privacy"], room["topic"], room["owner"]["id"]) == (
        "Front Desk",
        "private",
        "new",
        3,
    )
    assert room["is_guest_accessible"] is True
    assert room["guest_access_url"].startswith(f"{hub.url}/g")
    page = requests.get(room["guest_access_url"], params={"minimal": "1"}, timeout=5)
    assert page.status_code == 200
    assert "Front Desk" in page.text
    body.update(is_guest_accessible=False)
    assert hub.api("PUT", "room/1", admin_token, json=body).status_code == 204
    assert hub.api("GET", "room/1", admin_token).json()["guest_access_url"] is None


def test_update_room_requires_every_field(hub: Hub, admin_token: str) -> None:
    full = {
        "name": "Lobby",
        "privacy": "public",
        "is_archived": False,
        "is_guest_accessible": False,
        "topic": "",
    }
    for key in full:
        partial = {k: v for k, v in full.items() if k != key}
        assert_envelope(hub.api("PUT", "room/1", admin_token, json=partial), 400)
    assert_envelope(hub.api("PUT", "room/1", admin_token, json={**full, "name": "Secret Lab"}), 400)
    assert hub.api("PUT", "room/1", admin_token, json=full).status_code == 204


def test_create_with_guest_access_and_delete(hub: Hub, admin_token: str) -> None:
    new_id = hub.api(
        "POST", "room", admin_token, json={"name": "Guests", "guest_access": True}
    ).json()["id"]
    assert hub.api("GET", f"room/{new_id}", admin_token).json()["guest_access_url"]
    assert hub.api("DELETE", f"room/{new_id}", admin_token).status_code == 204
    assert_envelope(hub.api("GET", f"room/{new_id}", admin_token), 404)
    assert_envelope(hub.api("DELETE", f"room/{new_id}", admin_token), 404)


def test_topic(hub: Hub, admin_token: str) -> None:
    response = hub.api("PUT", "room/1/topic", admin_token, json={"topic": "t" * 250})
    assert response.status_code == 204
    assert response.content == b""
    assert hub.api("GET", "room/1", admin_token).json()["topic"] == "t" * 250
    assert_envelope(hub.api("PUT", "room/1/topic", admin_token, json={"topic": "t" * 251}), 400)
    assert_envelope(hub.api("PUT", "room/1/topic", admin_token, json={}), 400)


def test_participants_and_statistics(hub: Hub, admin_token: str) -> None:
    people = hub.api("GET", "room/2/participant", admin_token).json()
    assert [p["id"] for p in people["items"]] == [1]
    offline = hub.api("GET", "room/2/participant?include-offline=true", admin_token).json()
    assert [p["id"] for p in offline["items"]] == [1, 2]
    full = hub.api("GET", "room/1/participant?expand=items", admin_token).json()
    assert full["items"][0]["photo_url"].startswith(hub.url)
    hub.api("POST", "room/1/notification", admin_token, json={"message": "x"})
    stats = hub.api("GET", "room/1/statistics", admin_token).json()
    assert stats["messages_sent"] == 1
    assert stats["links"]["self"] == f"{hub.url}/v2/room/1/statistics"
    assert "T" in stats["last_active"]


def test_members(hub: Hub, admin_token: str) -> None:
    members = hub.api("GET", "room/2/member", admin_token).json()["items"]
    assert [(m["id"], m["room_roles"]) for m in members] == [
        (1, ["room_admin"]),
        (2, ["room_member"]),
    ]
    assert hub.api("PUT", "room/2/member/@carol", admin_token).status_code == 204
    assert (
        hub.api(
            "PUT", "room/2/member/bob@example.com", admin_token, json={"room_roles": ["room_admin"]}
        ).status_code
        == 204
    )
    members = hub.api("GET", "room/2/member", admin_token).json()["items"]
    assert {m["id"]: m["room_roles"] for m in members} == {
        1: ["room_admin"],
        2: ["room_admin"],
        3: ["room_member"],
    }
    assert hub.api("DELETE", "room/2/member/3", admin_token).status_code == 204
    assert [m["id"] for m in hub.api("GET", "room/2/member", admin_token).json()["items"]] == [1, 2]
    bad_role = hub.api("PUT", "room/2/member/3", admin_token, json={"room_roles": ["boss"]})
    assert_envelope(bad_role, 400)
    assert_envelope(hub.api("PUT", "room/2/member/@nobody", admin_token), 404, "User not found")


def test_invite_and_avatar(hub: Hub, admin_token: str) -> None:
    invite = hub.api("POST", "room/2/invite/@carol", admin_token, json={"reason": "join us"})
    assert invite.status_code == 204
    assert 3 in hub.state.get_room(2).members
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    assert hub.api("PUT", "room/1/avatar", admin_token, json={"avatar": png}).status_code == 204
    avatar = hub.api("GET", "room/1/avatar", admin_token, allow_redirects=False)
    assert avatar.status_code == 302
    assert requests.get(avatar.headers["Location"], timeout=5).content.startswith(b"\x89PNG")
    assert hub.api("GET", "room/1", admin_token).json()["avatar_url"]
    assert hub.api("DELETE", "room/1/avatar", admin_token).status_code == 204
    assert hub.api("GET", "room/1", admin_token).json()["avatar_url"] is None
    assert_envelope(hub.api("PUT", "room/1/avatar", admin_token, json={}), 400)
