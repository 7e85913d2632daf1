"""Retries of 429 and 503: waits from the headers, bounded in attempts and in time (§6.12)."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import formatdate

import pytest

from addon.hipchat import (
    BadRequestError,
    HipChat,
    InternalServerError,
    NotFoundError,
    RetryPolicy,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from addon.hipchat.response import Response
from addon.hipchat.retry import retry_after, server_hint
from tests.hipchat.conftest import NOW, FakeClock, Stub, rate_headers

LIMITED = {"error": {"code": 429, "type": "Too Many Requests", "message": "Rate Limit exceeded"}}
DOWN = {"error": {"code": 503, "type": "Service Unavailable", "message": "Try later"}}


def test_429_waits_until_ratelimit_reset_then_succeeds(
    stub: Stub, hc: HipChat, clock: FakeClock
) -> None:
    stub.reply(429, LIMITED, headers=rate_headers(remaining=0, reset=NOW + 7))
    stub.reply(200, {"id": 1})
    response = hc.room(1).get()
    assert response.data == {"id": 1}
    assert clock.waits == [7.0]
    assert len(stub.seen) == 2


def test_reset_in_the_past_waits_the_minimum(stub: Stub, hc: HipChat, clock: FakeClock) -> None:
    stub.reply(429, LIMITED, headers=rate_headers(remaining=0, reset=NOW - 30))
    stub.reply(200, {})
    hc.room(1).get()
    assert clock.waits == [RetryPolicy().min_wait]


def test_retry_after_seconds_wins(stub: Stub, hc: HipChat, clock: FakeClock) -> None:
    headers = {**rate_headers(remaining=0, reset=NOW + 200), "Retry-After": "3"}
    stub.reply(429, LIMITED, headers=headers).reply(204)
    hc.room(1).send("hi")
    assert clock.waits == [3.0]


def test_retry_after_http_date(stub: Stub, hc: HipChat, clock: FakeClock) -> None:
    stub.reply(503, DOWN, headers={"Retry-After": formatdate(NOW + 12, usegmt=True)})
    stub.reply(200, {})
    hc.room(1).get()
    assert clock.waits == [pytest.approx(12.0)]


def test_flood_control_reset_wins_when_exhausted(stub: Stub, hc: HipChat, clock: FakeClock) -> None:
    headers = {
        **rate_headers(remaining=400, reset=NOW + 250),
        "X-FloodControl-Limit": "30",
        "X-FloodControl-Remaining": "0",
        "X-FloodControl-Reset": str(int(NOW + 20)),
    }
    stub.reply(429, LIMITED, headers=headers).reply(204)
    hc.room(1).send("hi")
    assert clock.waits == [20.0]


def test_posts_are_retried_on_429_with_the_same_body(
    stub: Stub, hc: HipChat, clock: FakeClock
) -> None:
    stub.reply(429, LIMITED, headers=rate_headers(remaining=0, reset=NOW + 1)).reply(204)
    response = hc.room(1).send("once", notify=True)
    assert response.status_code == 204
    assert [s.method for s in stub.seen] == ["POST", "POST"]
    assert (
        stub.seen[0].json
        == stub.seen[1].json
        == {
            "message": "once",
            "notify": True,
            "color": "yellow",
            "message_format": "html",
        }
    )


def test_503_backs_off_exponentially_then_raises(
    stub: Stub, make_client: Callable[..., HipChat], clock: FakeClock
) -> None:
    client = make_client(max_retries=3)
    stub.default.status, stub.default.body = 503, DOWN
    with pytest.raises(ServiceUnavailableError) as info:
        client.room(1).get()
    assert info.value.message == "Try later"
    assert len(stub.seen) == 4
    assert clock.waits == [0.5, 1.0, 2.0]


def test_503_ignores_the_reset_of_a_window_not_exhausted(
    stub: Stub, hc: HipChat, clock: FakeClock
) -> None:
    stub.reply(503, DOWN, headers=rate_headers(remaining=300, reset=NOW + 280)).reply(200, {})
    hc.room(1).get()
    assert clock.waits == [0.5]


def test_bounded_by_max_retries(
    stub: Stub, make_client: Callable[..., HipChat], clock: FakeClock
) -> None:
    client = make_client(max_retries=2)
    stub.default.status, stub.default.body = 429, LIMITED
    stub.default.headers = rate_headers(remaining=0, reset=NOW + 1)
    with pytest.raises(TooManyRequestsError) as info:
        client.room(1).get()
    assert len(stub.seen) == 3
    assert len(clock.waits) == 2
    assert info.value.response.rate_remaining == 0


def test_max_retries_zero_never_retries(
    stub: Stub, make_client: Callable[..., HipChat], clock: FakeClock
) -> None:
    client = make_client(max_retries=0)
    stub.reply(429, LIMITED)
    with pytest.raises(TooManyRequestsError):
        client.room(1).get()
    assert len(stub.seen) == 1
    assert clock.waits == []


def test_wait_beyond_the_budget_raises_at_once(
    stub: Stub, make_client: Callable[..., HipChat], clock: FakeClock
) -> None:
    client = make_client(max_retry_time=30)
    stub.reply(429, LIMITED, headers=rate_headers(remaining=0, reset=NOW + 120))
    with pytest.raises(TooManyRequestsError):
        client.room(1).get()
    assert len(stub.seen) == 1
    assert clock.waits == []


def test_budget_is_spent_across_retries(
    stub: Stub, make_client: Callable[..., HipChat], clock: FakeClock
) -> None:
    client = make_client(max_retries=10, max_retry_time=25)
    stub.default.status, stub.default.body = 429, LIMITED
    stub.default.headers = {"Retry-After": "10"}
    with pytest.raises(TooManyRequestsError):
        client.room(1).get()
    assert clock.waits == [10.0, 10.0]
    assert len(stub.seen) == 3


@pytest.mark.parametrize(
    ("status", "cls"), [(400, BadRequestError), (404, NotFoundError), (500, InternalServerError)]
)
def test_other_errors_are_not_retried(
    stub: Stub, hc: HipChat, clock: FakeClock, status: int, cls: type
) -> None:
    stub.default.status, stub.default.body = status, {"error": {"message": "no"}}
    with pytest.raises(cls):
        hc.room(1).get()
    assert len(stub.seen) == 1
    assert clock.waits == []


def test_default_sleep_really_waits_briefly(stub: Stub) -> None:
    client = HipChat("t", stub.api, max_retries=1)
    stub.reply(429, LIMITED, headers={"Retry-After": "0"}).reply(200, {"ok": 1})
    assert client.room(1).get().data == {"ok": 1}
    assert len(stub.seen) == 2
    client.close()


def test_retry_bounds_are_adjustable(stub: Stub, hc: HipChat, clock: FakeClock) -> None:
    hc.max_retries = 1
    hc.max_retry_time = 100
    assert (hc.max_retries, hc.max_retry_time) == (1, 100)
    stub.default.status, stub.default.body = 429, LIMITED
    stub.default.headers = {"Retry-After": "60"}
    with pytest.raises(TooManyRequestsError):
        hc.room(1).get()
    assert clock.waits == [60.0]
    assert len(stub.seen) == 2


def test_policy_validation() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="max_retry_time"):
        HipChat(max_retry_time=-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), (" 1.5 ", 1.5), ("", None), (None, None), ("soon", None)],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    assert retry_after(value, NOW) == expected


def test_server_hint_none_without_headers() -> None:
    assert server_hint(Response(503), NOW) is None
    assert server_hint(Response(429), NOW) is None
    assert server_hint(Response(429, headers={"X-Ratelimit-Reset": str(int(NOW + 9))}), NOW) == 9
