"""Response: body parsing and rate-limit / flood-control headers (HIPCHAT.md §6.12)."""

from __future__ import annotations

import pytest

from addon.hipchat import HipChat, Response
from tests.hipchat.conftest import NOW, Stub


def test_rate_limit_headers_are_parsed_from_the_wire(stub: Stub, hc: HipChat) -> None:
    stub.reply(
        204,
        headers={
            "X-Ratelimit-Limit": "500",
            "X-Ratelimit-Remaining": "42",
            "X-Ratelimit-Reset": "1700000300",
            "X-FloodControl-Limit": "30",
            "X-FloodControl-Remaining": "29",
            "X-FloodControl-Reset": "1700000060",
        },
    )
    response = hc.room(1).send("hi")
    assert (response.rate_limit, response.rate_remaining, response.rate_reset) == (
        500,
        42,
        1700000300,
    )
    assert (response.flood_limit, response.flood_remaining, response.flood_reset) == (
        30,
        29,
        1700000060,
    )
    assert response.data is None
    assert response.ok


def test_header_names_are_case_insensitive() -> None:
    response = Response(
        200,
        headers={
            "x-ratelimit-limit": "100",
            "X-RATELIMIT-REMAINING": "1",
            "X-RateLimit-Reset": "1700000000.0",
            "x-floodcontrol-remaining": "0",
        },
    )
    assert (response.rate_limit, response.rate_remaining, response.rate_reset) == (
        100,
        1,
        1700000000,
    )
    assert response.flood_remaining == 0
    assert response.headers["X-RATELIMIT-LIMIT"] == "100"


def test_absent_or_garbage_headers_are_none() -> None:
    response = Response(200, headers={"X-Ratelimit-Limit": "lots"})
    assert response.rate_limit is None
    assert response.rate_remaining is None
    assert response.rate_reset is None
    assert response.flood_limit is None
    assert response.flood_remaining is None
    assert response.flood_reset is None


def test_flood_headers_absent_on_plain_calls(stub: Stub, hc: HipChat) -> None:
    response = hc.room(1).get()
    assert response.flood_limit is None
    assert response.rate_reset == int(NOW + 300)


@pytest.mark.parametrize(
    ("status", "ok"), [(200, True), (201, True), (202, True), (204, True), (302, False)]
)
def test_ok_means_2xx(status: int, ok: bool) -> None:
    assert Response(status).ok is ok


def test_bodies_json_list_and_non_json(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, [1, 2]).reply(200, "plain text")
    assert hc.room(1).get().data == [1, 2]
    response = hc.room(1).get()
    assert response.data is None
    assert response.text == "plain text"


def test_created_body_is_returned(stub: Stub, hc: HipChat) -> None:
    stub.reply(201, {"id": 46, "links": {"self": "https://api.hipchat.com/v2/room/46"}})
    response = hc.room().create("Ops")
    assert response.status_code == 201
    assert response.data["id"] == 46
