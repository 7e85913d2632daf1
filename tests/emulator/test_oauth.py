"""The token endpoint and OAuth sessions (HIPCHAT.md §3, §8)."""

from __future__ import annotations

import pytest
import requests

from tests.emulator.helpers import Hub, assert_envelope

NO_TOKEN = (
    "Authenticated requests only. See https://www.hipchat.com/docs/apiv2/auth for more information."
)


@pytest.fixture
def client(hub: Hub) -> tuple[str, str]:
    """An OAuth client (a global installation) allowed two scopes."""
    return hub.state.create_client(["send_notification", "view_room"], name="Test add-on")


def token_url(hub: Hub) -> str:
    """The emulator's token endpoint."""
    return f"{hub.url}/v2/oauth/token"


def check_grant(response: requests.Response, hub: Hub, scope: str, lifetime: int = 3600) -> str:
    """Check a 200 token response (§3.1) and return its access token."""
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["token_type"] == "bearer"
    assert data["group_id"] == 1
    assert isinstance(data["group_id"], int)
    assert data["group_name"] == "Emulated Group"
    assert data["scope"] == scope
    assert lifetime - 100 <= data["expires_in"] <= lifetime
    assert "X-Ratelimit-Remaining" in response.headers
    return data["access_token"]


def test_client_credentials_as_form_body(hub: Hub, client: tuple[str, str]) -> None:
    response = requests.post(
        token_url(hub),
        auth=client,
        data={"grant_type": "client_credentials", "scope": "send_notification view_room"},
        timeout=5,
    )
    token = check_grant(response, hub, "send_notification view_room")
    assert hub.api("POST", "room/1/notification", token, json={"message": "hi"}).status_code == 204


def test_client_credentials_as_json_body(hub: Hub, client: tuple[str, str]) -> None:
    response = requests.post(
        token_url(hub),
        auth=client,
        json={"grant_type": "client_credentials", "scope": "view_room"},
        timeout=5,
    )
    check_grant(response, hub, "view_room")


def test_client_credentials_in_query_string(hub: Hub, client: tuple[str, str]) -> None:
    response = requests.post(
        token_url(hub),
        auth=client,
        params={"grant_type": "client_credentials", "scope": "send_notification"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    check_grant(response, hub, "send_notification")


def test_omitted_scope_means_all_client_scopes(hub: Hub, client: tuple[str, str]) -> None:
    response = requests.post(
        token_url(hub), auth=client, data={"grant_type": "client_credentials"}, timeout=5
    )
    check_grant(response, hub, "send_notification view_room")


def test_scope_outside_the_client_is_400(hub: Hub, client: tuple[str, str]) -> None:
    response = requests.post(
        token_url(hub),
        auth=client,
        data={"grant_type": "client_credentials", "scope": "send_notification admin_group"},
        timeout=5,
    )
    error = assert_envelope(response, 400)
    assert "admin_group" in error["message"]
    unknown = requests.post(
        token_url(hub),
        auth=client,
        data={"grant_type": "client_credentials", "scope": "fly_to_moon"},
        timeout=5,
    )
    assert_envelope(unknown, 400)


def test_bad_or_missing_credentials_are_401(hub: Hub, client: tuple[str, str]) -> None:
    grant = {"grant_type": "client_credentials"}
    wrong = requests.post(token_url(hub), auth=(client[0], "nope"), data=grant, timeout=5)
    assert_envelope(wrong, 401)
    unknown = requests.post(token_url(hub), auth=("no-such-client", "x"), data=grant, timeout=5)
    assert_envelope(unknown, 401)
    missing = requests.post(token_url(hub), data=grant, timeout=5)
    assert_envelope(missing, 401, NO_TOKEN)


def test_deleted_client_gets_401_and_its_tokens_die(hub: Hub, client: tuple[str, str]) -> None:
    grant = {"grant_type": "client_credentials"}
    token = check_grant(
        requests.post(token_url(hub), auth=client, data=grant, timeout=5),
        hub,
        "send_notification view_room",
    )
    assert hub.state.delete_client(client[0]) is True
    assert_envelope(requests.post(token_url(hub), auth=client, data=grant, timeout=5), 401)
    assert_envelope(hub.api("GET", "room/1", token), 401, "Invalid OAuth session")
    assert hub.state.delete_client(client[0]) is False


def test_missing_or_unsupported_grant_is_400(hub: Hub, client: tuple[str, str]) -> None:
    assert_envelope(requests.post(token_url(hub), auth=client, data={}, timeout=5), 400)
    odd = requests.post(token_url(hub), auth=client, data={"grant_type": "magic"}, timeout=5)
    assert_envelope(odd, 400)


@pytest.mark.parametrize("grant", ["personal", "password"])
def test_personal_token_from_seed_user_password(hub: Hub, grant: str) -> None:
    response = requests.post(
        token_url(hub),
        json={
            "grant_type": grant,
            "username": "bob@example.com",
            "password": "bob-password",
            "scope": "send_message view_group",
        },
        timeout=5,
    )
    token = check_grant(response, hub, "send_message view_group", lifetime=365 * 24 * 3600)
    assert response.json()["refresh_token"]
    session = hub.api("GET", f"oauth/token/{token}", token).json()
    assert session["owner_type"] == "user"
    assert session["owner"]["id"] == 2
    sent = hub.api("POST", "room/1/message", token, json={"message": "from bob"})
    assert sent.status_code == 201
    history = hub.api("GET", "room/1/history", hub.token()).json()["items"]
    assert history[-1]["from"]["mention_name"] == "bob"


def test_wrong_password_is_401_and_refresh_works(hub: Hub) -> None:
    bad = requests.post(
        token_url(hub),
        json={"grant_type": "password", "username": "bob@example.com", "password": "x"},
        timeout=5,
    )
    assert_envelope(bad, 401)
    good = requests.post(
        token_url(hub),
        data={
            "grant_type": "password",
            "username": "carol@example.com",
            "password": "carol-password",
        },
        timeout=5,
    ).json()
    refreshed = requests.post(
        token_url(hub),
        data={"grant_type": "refresh_token", "refresh_token": good["refresh_token"]},
        timeout=5,
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != good["access_token"]
    assert refreshed.json()["scope"] == good["scope"]


def test_session_get_and_delete(hub: Hub) -> None:
    room_client = hub.state.create_client(
        ["view_room", "send_notification"], room_id=2, name="Lab bot"
    )
    data = requests.post(
        token_url(hub), auth=room_client, data={"grant_type": "client_credentials"}, timeout=5
    ).json()
    token = data["access_token"]
    session = hub.api("GET", f"oauth/token/{token}", token).json()
    assert session["access_token"] == token
    assert session["owner_type"] == "client"
    assert session["owner"] is None
    assert sorted(session["scopes"]) == ["send_notification", "view_room"]
    assert 0 < session["expires_in"] <= 3600
    assert session["client"]["id"] == room_client[0]
    assert session["client"]["name"] == "Lab bot"
    assert session["client"]["room"]["id"] == 2
    assert "topic" not in session["client"]["room"]
    assert sorted(session["client"]["allowed_scopes"]) == ["send_notification", "view_room"]
    expanded = hub.api("GET", f"oauth/token/{token}?expand=client.room", token).json()
    assert expanded["client"]["room"]["topic"] == "Members only"

    via_query = requests.get(
        f"{hub.url}/v2/oauth/token/{token}", params={"auth_token": token}, timeout=5
    )
    assert via_query.status_code == 200
    assert hub.api("DELETE", f"oauth/token/{token}", token).status_code == 204
    assert_envelope(hub.api("GET", "room/2", token), 401, "Invalid OAuth session")


def test_session_owner_expands_and_other_users_are_hidden(hub: Hub) -> None:
    ada, bob = hub.token(user="@ada"), hub.token(scopes=["view_group"], user="@bob")
    session = hub.api("GET", f"oauth/token/{ada}?expand=owner", ada).json()
    assert session["owner"]["email"] == "ada@example.com"
    assert_envelope(hub.api("GET", f"oauth/token/{ada}", bob), 403)
    assert_envelope(hub.api("GET", "oauth/token/not-a-token", ada), 404)
