"""Rate limiting and flood control headers (HIPCHAT.md §6.12, §8)."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from tests.emulator.helpers import Hub, assert_envelope

RATE_HEADERS = ("X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset")


def assert_rate_headers(response: requests.Response, limit: int | None = None) -> None:
    """The three X-Ratelimit-* headers are present, spelled exactly so, and numeric."""
    raw = response.raw.headers  # exact spelling as sent on the wire
    for name in RATE_HEADERS:
        assert name in list(raw.keys()), f"{name} missing from {list(raw.keys())}"
        assert response.headers[name].isdigit()
    if limit is not None:
        assert int(response.headers["X-Ratelimit-Limit"]) == limit
    assert int(response.headers["X-Ratelimit-Reset"]) >= int(time.time())


def test_rate_headers_on_200_204_201_and_errors(hub: Hub, admin_token: str) -> None:
    responses = [
        hub.api("GET", "room", admin_token),
        hub.api("PUT", "room/1/topic", admin_token, json={"topic": "t"}),
        hub.api("POST", "room/1/message", admin_token, json={"message": "m"}),
        hub.api("GET", "room/404", admin_token),
        hub.api("GET", "room"),
        hub.api("GET", "no/such/endpoint", admin_token),
        hub.api("PATCH", "room/1", admin_token),
        hub.api(
            "POST",
            "room",
            admin_token,
            data="{broken",
            headers={"Content-Type": "application/json"},
        ),
        hub.api("GET", "capabilities"),
    ]
    assert [r.status_code for r in responses] == [200, 204, 201, 404, 401, 404, 405, 400, 200]
    for response in responses:
        assert_rate_headers(response, 500)


def test_remaining_counts_down_per_token(hub: Hub) -> None:
    first, second = hub.token(), hub.token()
    a1 = int(hub.api("GET", "room", first).headers["X-Ratelimit-Remaining"])
    a2 = int(hub.api("GET", "room", first).headers["X-Ratelimit-Remaining"])
    b1 = int(hub.api("GET", "room", second).headers["X-Ratelimit-Remaining"])
    assert (a1, a2, b1) == (499, 498, 499)


def test_429_past_the_configured_limit(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"EMULATOR_RATE_LIMIT": 3, "EMULATOR_RATE_WINDOW": 60})
    token = hub.token()
    statuses = [hub.api("GET", "room", token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    blocked = hub.api("GET", "room", token)
    error = assert_envelope(blocked, 429, "Rate Limit exceeded")
    assert error["type"] == "Too Many Requests"
    assert blocked.headers["X-Ratelimit-Remaining"] == "0"
    assert_rate_headers(blocked, 3)
    assert int(blocked.headers["X-Ratelimit-Reset"]) > time.time()
    assert 1 <= int(blocked.headers["Retry-After"]) <= 61
    assert hub.api("GET", "room", hub.token()).status_code == 200


def test_flood_control_headers_on_message_sends(hub: Hub, admin_token: str) -> None:
    sends = [
        hub.api("POST", "room/1/notification", admin_token, json={"message": "n"}),
        hub.api("POST", "room/1/message", admin_token, json={"message": "m"}),
        hub.api("POST", "user/@bob/message", admin_token, json={"message": "pm"}),
    ]
    for response in sends:
        assert response.headers["X-FloodControl-Limit"] == "30"
        assert response.headers["X-FloodControl-Reset"].isdigit()
    assert [r.headers["X-FloodControl-Remaining"] for r in sends] == ["29", "28", "29"]
    reading = hub.api("GET", "room/1", admin_token)
    assert "X-FloodControl-Limit" not in reading.headers


def test_flood_control_429_is_per_recipient(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"EMULATOR_FLOOD_LIMIT": 2})
    token = hub.token()
    codes = [
        hub.api("POST", "room/1/notification", token, json={"message": str(i)}).status_code
        for i in range(3)
    ]
    assert codes == [204, 204, 429]
    assert hub.api("POST", "room/2/notification", token, json={"message": "x"}).status_code == 204
    assert len(hub.state.room_history(1)) == 2


def test_calls_without_a_valid_token_are_not_counted(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"EMULATOR_RATE_LIMIT": 2})
    for _ in range(4):
        for response in (hub.api("GET", "capabilities"), hub.api("GET", "room", "bogus")):
            assert response.status_code in (200, 401)
            assert response.headers["X-Ratelimit-Remaining"] == "2"


def test_flood_429_has_retry_after(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"EMULATOR_FLOOD_LIMIT": 1, "EMULATOR_FLOOD_WINDOW": 30})
    token = hub.token()
    hub.api("POST", "room/1/message", token, json={"message": "a"})
    flooded = hub.api("POST", "room/1/message", token, json={"message": "b"})
    assert_envelope(flooded, 429)
    assert flooded.headers["X-FloodControl-Remaining"] == "0"
    assert 1 <= int(flooded.headers["Retry-After"]) <= 31
