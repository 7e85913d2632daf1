"""Authenticating API calls (HIPCHAT.md §6.0, §6.13, §8): Bearer/auth_token, scopes, auth_test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from tests.emulator.helpers import Hub, assert_envelope

NO_TOKEN = (
    "Authenticated requests only. See https://www.hipchat.com/docs/apiv2/auth for more information."
)


def test_missing_token_is_401_with_hipchat_message(hub: Hub) -> None:
    error = assert_envelope(hub.api("GET", "room"), 401, NO_TOKEN)
    assert error["type"] == "Unauthorized"


def test_unknown_token_is_invalid_oauth_session(hub: Hub) -> None:
    assert_envelope(hub.api("GET", "room", "bogus"), 401, "Invalid OAuth session")
    bad_query = requests.get(f"{hub.url}/v2/room", params={"auth_token": "bogus"}, timeout=5)
    assert_envelope(bad_query, 401, "Invalid OAuth session")


def test_expired_token_is_invalid_oauth_session(hub: Hub) -> None:
    token = hub.token(ttl=60)
    assert hub.api("GET", "room", token).status_code == 200
    record = hub.state.tokens[token]
    record.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert_envelope(hub.api("GET", "room", token), 401, "Invalid OAuth session")
    assert token not in hub.state.tokens


def test_auth_token_query_parameter_works_alone(hub: Hub) -> None:
    token = hub.token()
    response = requests.get(f"{hub.url}/v2/room/1", params={"auth_token": token}, timeout=5)
    assert response.status_code == 200
    assert response.json()["name"] == "Lobby"
    posted = requests.post(
        f"{hub.url}/v2/room/1/notification?auth_token={token}", json={"message": "q"}, timeout=5
    )
    assert posted.status_code == 204


def test_missing_scope_is_403_listing_the_scopes(hub: Hub) -> None:
    token = hub.token(scopes=["view_messages"])
    error = assert_envelope(hub.api("GET", "room/1", token), 403)
    assert error["type"] == "Forbidden"
    assert error["message"] == (
        "This action requires one of the following scopes: [view_group, view_room]"
    )
    note = hub.api("POST", "room/1/notification", token, json={"message": "x"})
    assert assert_envelope(note, 403)["message"].endswith("[send_notification]")


def test_any_one_listed_scope_is_enough(hub: Hub) -> None:
    assert hub.api("GET", "room/1", hub.token(scopes=["view_room"])).status_code == 200
    assert hub.api("GET", "room/1", hub.token(scopes=["view_group"])).status_code == 200


def test_auth_test_returns_202_and_does_nothing(hub: Hub) -> None:
    token = hub.token()
    response = hub.api(
        "POST", "room/1/notification?auth_test=true", token, json={"message": "not sent"}
    )
    assert response.status_code == 202
    assert response.json()["success"]["code"] == 202
    assert hub.state.room_history(1) == []
    gone = hub.api("DELETE", "room/1", token, params={"auth_test": "true"})
    assert gone.status_code == 202
    assert hub.state.find_room(1) is not None


def test_auth_test_still_checks_token_and_scope(hub: Hub) -> None:
    assert_envelope(hub.api("GET", "room?auth_test=true"), 401, NO_TOKEN)
    weak = hub.token(scopes=["view_room"])
    assert_envelope(hub.api("DELETE", "room/1?auth_test=true", weak), 403)


def test_room_installation_token_is_limited_to_its_room(hub: Hub) -> None:
    oauth_id, secret = hub.state.create_client(["send_notification", "view_room"], room_id=2)
    token = requests.post(
        f"{hub.url}/v2/oauth/token",
        auth=(oauth_id, secret),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()["access_token"]
    assert hub.api("POST", "room/2/notification", token, json={"message": "ok"}).status_code == 204
    other = hub.api("POST", "room/1/notification", token, json={"message": "no"})
    assert_envelope(other, 403)


def test_bearer_scheme_is_case_insensitive(hub: Hub) -> None:
    token = hub.token()
    response = requests.get(
        f"{hub.url}/v2/room", headers={"Authorization": f"bearer {token}"}, timeout=5
    )
    assert response.status_code == 200
