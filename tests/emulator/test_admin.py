"""The admin API: tokens, clients, faults, reset, request journal and state summary."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from tests.emulator.helpers import Hub, assert_envelope


def test_token_minting(hub: Hub) -> None:
    response = hub.admin("POST", "tokens", json={"scopes": ["view_group"], "user": "@bob"})
    assert response.status_code == 201
    body = response.json()
    assert body["scopes"] == ["view_group"]
    assert body["user_id"] == 2
    assert 3590 <= body["expires_in"] <= 3600
    assert hub.api("GET", "user", body["access_token"]).status_code == 200
    everything = hub.admin("POST", "tokens", json={}).json()
    assert len(everything["scopes"]) == 9
    assert everything["user_id"] is None
    assert_envelope(hub.admin("POST", "tokens", json={"scopes": ["root"]}), 400)
    assert_envelope(hub.admin("POST", "tokens", json={"user": "@ghost"}), 404)


def test_clients_endpoint(hub: Hub) -> None:
    created = hub.admin("POST", "clients", json={"scopes": ["view_room"], "room_id": 1}).json()
    assert created["groupId"] == 1
    assert created["roomId"] == 1
    assert created["capabilitiesUrl"] == f"{hub.url}/v2/capabilities"
    grant = {"grant_type": "client_credentials"}
    auth = (created["oauthId"], created["oauthSecret"])
    url = f"{hub.url}/v2/oauth/token"
    assert requests.post(url, auth=auth, data=grant, timeout=5).status_code == 200
    assert hub.admin("DELETE", f"clients/{created['oauthId']}").status_code == 204
    assert requests.post(url, auth=auth, data=grant, timeout=5).status_code == 401
    assert_envelope(hub.admin("DELETE", f"clients/{created['oauthId']}"), 404)


def test_fault_status_and_count(hub: Hub, admin_token: str) -> None:
    fault = hub.admin("POST", "faults", json={"path": r"^/v2/room/1$", "status": 503, "count": 2})
    assert fault.status_code == 201
    codes = [hub.api("GET", "room/1", admin_token).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert hub.api("GET", "room/2", admin_token).status_code == 200
    failed = hub.api("GET", "room/1", admin_token)
    assert failed.status_code == 200
    assert hub.admin("GET", "faults").json()["items"] == []


def test_fault_envelope_and_headers(hub: Hub, admin_token: str) -> None:
    hub.admin("POST", "faults", json={"path": "notification", "status": 500, "method": "POST"})
    assert hub.api("GET", "room/1", admin_token).status_code == 200
    failed = hub.api("POST", "room/1/notification", admin_token, json={"message": "x"})
    error = assert_envelope(failed, 500)
    assert error["type"] == "Internal Server Error"
    assert "X-Ratelimit-Remaining" in failed.headers
    assert hub.state.room_history(1) == []


def test_fault_429_sets_remaining_zero_and_near_reset(hub: Hub, admin_token: str) -> None:
    hub.admin("POST", "faults", json={"path": "/v2/room", "status": 429})
    limited = hub.api("GET", "room", admin_token)
    assert_envelope(limited, 429)
    assert limited.headers["X-Ratelimit-Remaining"] == "0"
    assert 0 < int(limited.headers["X-Ratelimit-Reset"]) - time.time() <= 2
    assert hub.api("GET", "room", admin_token).status_code == 200


def test_fault_delay(hub: Hub, admin_token: str) -> None:
    hub.admin("POST", "faults", json={"path": "/v2/user", "delay": 0.3})
    started = time.monotonic()
    assert hub.api("GET", "user", admin_token).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    hub.api("GET", "user", admin_token)
    assert time.monotonic() - started < 0.3


def test_fault_reset_drops_the_connection_before_the_call_is_handled(
    hub: Hub, admin_token: str
) -> None:
    hub.admin("POST", "faults", json={"path": "notification", "reset": True})
    with pytest.raises(requests.ConnectionError):
        hub.api("POST", "room/1/notification", admin_token, json={"message": "lost"})
    assert hub.state.room_history(1) == []
    (entry,) = [i for i in hub.admin("GET", "requests").json()["items"] if i["method"] == "POST"]
    assert entry["status"] is None
    assert entry["reset"] is True
    sent = hub.api("POST", "room/1/notification", admin_token, json={"message": "next"})
    assert sent.status_code == 204  # the server keeps serving


def test_fault_after_posts_the_message_then_drops_or_delays_the_answer(
    hub: Hub, admin_token: str
) -> None:
    hub.admin("POST", "faults", json={"path": "notification", "reset": True, "after": True})
    with pytest.raises(requests.ConnectionError):
        hub.api("POST", "room/1/notification", admin_token, json={"message": "one"})
    hub.admin("POST", "faults", json={"path": "notification", "delay": 1.0, "after": True})
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{hub.url}/v2/room/1/notification",
            json={"message": "two"},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=0.3,
        )
    hub.admin("POST", "faults", json={"path": "notification", "status": 503, "after": True})
    failed = hub.api("POST", "room/1/notification", admin_token, json={"message": "three"})
    assert_envelope(failed, 503)
    assert "X-FloodControl-Remaining" in failed.headers
    time.sleep(0.8)  # the delayed call finishes its answer
    assert [m.text for m in hub.state.room_history(1)] == ["one", "two", "three"]
    faults = hub.admin("GET", "faults").json()["items"]
    assert faults == []


def test_fault_validation(hub: Hub) -> None:
    for body in (
        {"path": "x"},
        {"path": "(", "status": 500},
        {"path": "x", "status": 9000},
        {"path": "x", "status": 500, "count": 0},
        {"path": "x", "delay": -1},
        {"path": "x", "reset": "yes"},
        {"path": "x", "reset": True, "status": 500},
        {"path": "x", "after": True},
    ):
        assert_envelope(hub.admin("POST", "faults", json=body), 400)


def test_reset_restores_seed(hub: Hub, admin_token: str) -> None:
    hub.api("POST", "room", admin_token, json={"name": "Temp"})
    hub.api("POST", "room/1/notification", admin_token, json={"message": "x"})
    hub.admin("POST", "faults", json={"path": "never-matches", "status": 500})
    assert hub.admin("POST", "reset").status_code == 204
    assert [r.name for r in hub.state.list_rooms()] == ["Lobby", "Secret Lab"]
    assert hub.state.room_history(1) == []
    assert hub.admin("GET", "faults").json()["items"] == []
    assert hub.admin("GET", "requests").json()["items"] == []
    assert_envelope(hub.api("GET", "room", admin_token), 401, "Invalid OAuth session")


def test_request_journal(hub: Hub, admin_token: str) -> None:
    hub.api("POST", "room/1/notification?x=1&x=2", admin_token, json={"message": "j"})
    requests.post(f"{hub.url}/v2/oauth/token", data={"grant_type": "client_credentials"}, timeout=5)
    items = hub.admin("GET", "requests").json()["items"]
    assert [i["method"] for i in items] == ["POST", "POST"]
    first, second = items
    assert first["path"] == "/v2/room/1/notification"
    assert first["query"] == {"x": ["1", "2"]}
    assert first["json"] == {"message": "j"}
    assert first["headers"]["Authorization"] == f"Bearer {admin_token}"
    assert first["status"] == 204
    assert second["form"] == {"grant_type": ["client_credentials"]}
    assert second["json"] is None
    assert second["status"] == 401
    assert hub.admin("DELETE", "requests").status_code == 204
    assert hub.admin("GET", "requests").json()["items"] == []


def test_admin_calls_are_not_journaled_or_rate_headed(hub: Hub) -> None:
    response = hub.admin("GET", "state")
    assert "X-Ratelimit-Limit" not in response.headers
    assert hub.admin("GET", "requests").json()["items"] == []


def test_state_summary_and_seed(hub: Hub) -> None:
    state = hub.admin("GET", "state").json()
    assert [u["mention_name"] for u in state["users"]] == ["ada", "bob", "carol"]
    assert [r["name"] for r in state["rooms"]] == ["Lobby", "Secret Lab"]
    seed = hub.admin("GET", "seed").json()
    assert seed["users"][1] == {
        "id": 2,
        "name": "Bob Builder",
        "mention_name": "bob",
        "email": "bob@example.com",
        "password": "bob-password",
    }


def test_user_actions(hub: Hub, admin_token: str) -> None:
    assert hub.admin("POST", "rooms/1/enter", json={"user": "@carol"}).status_code == 204
    people = hub.api("GET", "room/1/participant", admin_token).json()["items"]
    assert [p["id"] for p in people] == [1, 2, 3]
    assert hub.admin("POST", "rooms/Lobby/exit", json={"user": 3}).status_code == 204
    said = hub.admin("POST", "rooms/1/messages", json={"user": "@bob", "message": "/deploy"})
    assert said.status_code == 201
    note = hub.admin("POST", "rooms/1/notifications", json={"message": "n", "from_name": "Bot"})
    assert note.status_code == 201
    items = hub.api("GET", "room/1/history", admin_token).json()["items"]
    assert [(i["type"], i["message"]) for i in items] == [
        ("message", "/deploy"),
        ("notification", "n"),
    ]
    assert items[1]["from"] == "Bot"
    assert_envelope(hub.admin("POST", "rooms/1/enter", json={}), 400)


def test_empty_emulator(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"EMULATOR_EMPTY": True})
    state = hub.admin("GET", "state").json()
    assert state["users"] == []
    assert state["rooms"] == []
    token = hub.token(user=None)
    assert hub.api("GET", "room", token).json()["items"] == []
    hub.admin("POST", "reset")
    assert hub.admin("GET", "state").json()["rooms"] == []
