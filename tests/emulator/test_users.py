"""Users (HIPCHAT.md §6.4, §8): identifiers, CRUD with full replacement, messages, photos."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.emulator.helpers import Hub, assert_envelope


def test_list_users(hub: Hub, admin_token: str) -> None:
    data = hub.api("GET", "user", admin_token).json()
    assert [u["mention_name"] for u in data["items"]] == ["ada", "bob", "carol"]
    assert set(data["items"][0]) == {"id", "name", "mention_name", "version", "links"}
    assert data["items"][1]["links"]["self"] == f"{hub.url}/v2/user/2"
    full = hub.api("GET", "user?expand=items", admin_token).json()["items"]
    assert full[2]["email"] == "carol@example.com"


@pytest.mark.parametrize("ident", ["2", "bob@example.com", "@bob", "%40bob"])
def test_get_user_by_id_email_or_mention(hub: Hub, admin_token: str, ident: str) -> None:
    user = hub.api("GET", f"user/{ident}", admin_token).json()
    assert user["id"] == 2
    for key in (
        "email",
        "title",
        "timezone",
        "xmpp_jid",
        "is_group_admin",
        "is_guest",
        "is_deleted",
        "created",
        "last_active",
        "photo_url",
        "presence",
        "group",
        "roles",
        "version",
        "links",
    ):
        assert key in user, key
    assert user["last_active"].isdigit()
    assert user["group"]["id"] == 1


def test_unknown_user_404(hub: Hub, admin_token: str) -> None:
    assert_envelope(hub.api("GET", "user/@nobody", admin_token), 404, "User not found")
    assert_envelope(hub.api("GET", "user/99", admin_token), 404)


def test_create_user_201(hub: Hub, admin_token: str) -> None:
    response = hub.api(
        "POST",
        "user",
        admin_token,
        json={"name": "Dan Dev", "email": "dan@example.com", "title": "SRE", "password": "pw1"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["links"]["self"] == f"{hub.url}/v2/user/{body['id']}"
    user = hub.api("GET", f"user/{body['id']}", admin_token).json()
    assert (user["name"], user["mention_name"], user["title"]) == ("Dan Dev", "DanDev", "SRE")
    token = requests.post(
        f"{hub.url}/v2/oauth/token",
        data={"grant_type": "personal", "username": "dan@example.com", "password": "pw1"},
        timeout=5,
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@b.c"},
        {"name": "x" * 51, "email": "a@b.c"},
        {"name": "No Mail"},
        {"name": "Bad Mail", "email": "not-an-email"},
        {"name": "Dup", "email": "ada@example.com"},
        {"name": "Dup", "email": "new@example.com", "mention_name": "bob"},
        {"name": "Sp", "email": "sp@example.com", "mention_name": "has space"},
        {"name": "R", "email": "r@example.com", "roles": ["emperor"]},
    ],
)
def test_create_user_validation(hub: Hub, admin_token: str, body: dict) -> None:
    assert_envelope(hub.api("POST", "user", admin_token, json=body), 400)


def test_update_user_full_replacement(hub: Hub, admin_token: str) -> None:
    body = {
        "name": "Robert Builder",
        "email": "robert@example.com",
        "mention_name": "robert",
        "title": "Lead",
        "timezone": "Europe/Paris",
        "is_group_admin": True,
    }
    assert hub.api("PUT", "user/@bob", admin_token, json=body).status_code == 204
    user = hub.api("GET", "user/@robert", admin_token).json()
    assert (user["id"], user["email"], user["title"], user["is_group_admin"]) == (
        2,
        "robert@example.com",
        "Lead",
        True,
    )
    minimal = {"name": "Rob", "email": "robert@example.com", "mention_name": "robert"}
    assert hub.api("PUT", "user/2", admin_token, json=minimal).status_code == 204
    user = hub.api("GET", "user/2", admin_token).json()
    assert (user["title"], user["timezone"], user["is_group_admin"]) == ("", "UTC", False)
    assert hub.state.get_user(2).password == "bob-password"
    for key in ("name", "email", "mention_name"):
        partial = {k: v for k, v in minimal.items() if k != key}
        assert_envelope(hub.api("PUT", "user/2", admin_token, json=partial), 400)


def test_delete_user(hub: Hub, admin_token: str) -> None:
    assert hub.api("DELETE", "user/@carol", admin_token).status_code == 204
    assert_envelope(hub.api("GET", "user/3", admin_token), 404)
    ids = [u["id"] for u in hub.api("GET", "user", admin_token).json()["items"]]
    assert ids == [1, 2]
    deleted = hub.api("GET", "user?include-deleted=true", admin_token).json()["items"]
    assert [u["id"] for u in deleted] == [1, 2, 3]


def test_private_message_204_and_history(hub: Hub) -> None:
    ada = hub.token(user="@ada")
    response = hub.api("POST", "user/@bob/message", ada, json={"message": "psst", "notify": True})
    assert response.status_code == 204
    assert response.content == b""
    history = hub.api("GET", "user/@bob/history", ada).json()["items"]
    assert [(m["message"], m["from"]["id"], m["type"]) for m in history] == [("psst", 1, "message")]
    carol = hub.token(user="@carol")
    assert hub.api("GET", "user/@bob/history", carol).json()["items"] == []
    latest = hub.api("GET", "user/2/history/latest", ada).json()["items"]
    one = hub.api("GET", f"user/2/history/{latest[0]['id']}", ada).json()
    assert one["message"]["message"] == "psst"
    for body in (
        {},
        {"message": ""},
        {"message": "x" * 10001},
        {"message": "x", "message_format": "rtf"},
    ):
        assert_envelope(hub.api("POST", "user/2/message", ada, json=body), 400)
    link = hub.api("POST", "user/2/share/link", ada, json={"link": "https://e.example/x"})
    assert link.status_code == 204


def test_photo_put_get_delete(hub: Hub, admin_token: str) -> None:
    before = hub.api("GET", "user/2/photo/small", admin_token, allow_redirects=False)
    assert before.status_code == 302
    default = requests.get(before.headers["Location"], timeout=5)
    assert default.headers["Content-Type"] == "image/png"
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg"
    body = {"photo": base64.b64encode(jpeg).decode()}
    assert hub.api("PUT", "user/2/photo", admin_token, json=body).status_code == 204
    after = hub.api("GET", "user/2/photo/big", admin_token, allow_redirects=False)
    assert after.headers["Location"] != before.headers["Location"].replace("small", "big")
    assert requests.get(after.headers["Location"], timeout=5).content == jpeg
    assert hub.api("DELETE", "user/2/photo", admin_token).status_code == 204
    assert hub.state.get_user(2).photo is None
    assert_envelope(hub.api("GET", "user/2/photo/huge", admin_token), 404)


def test_auto_join_and_invite(hub: Hub, admin_token: str) -> None:
    rooms = hub.api("GET", "user/@bob/preference/auto-join", admin_token).json()["items"]
    assert [r["id"] for r in rooms] == [1, 2]
    invited = hub.api(
        "POST", "invite/user", admin_token, json={"name": "Eve", "email": "eve@example.com"}
    )
    assert invited.status_code == 200
    assert invited.json()["email"] == "eve@example.com"


def test_user_admin_needs_admin_group(hub: Hub) -> None:
    token = hub.token(scopes=["view_group"])
    body = {"name": "X", "email": "x@example.com"}
    error = assert_envelope(hub.api("POST", "user", token, json=body), 403)
    assert error["message"].endswith("[admin_group]")
