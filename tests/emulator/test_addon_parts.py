"""Unit tests of the add-on side's parts: the per-room worker pool, the delivery log, the
webhook JWT claims, reply parsing and the timeout settings."""

from __future__ import annotations

import threading

import jwt
import pytest
import requests

from addon.emulator.addons.deliveries import DeliveryLog
from addon.emulator.addons.delivery import acting_user_id, reply_body
from addon.emulator.addons.pool import LanePool
from addon.emulator.addons.signing import sign, webhook_claims
from addon.emulator.config import load_config


def test_pool_runs_each_lane_in_order_and_lanes_in_parallel() -> None:
    pool = LanePool(workers=2)
    seen: list[tuple[str, int]] = []
    release = threading.Event()
    pool.submit("slow", release.wait)
    lane_a_done = threading.Event()
    for n in range(3):
        pool.submit("a", lambda n=n: seen.append(("a", n)))
    pool.submit("a", lane_a_done.set)
    assert lane_a_done.wait(5)  # lane "a" went ahead while "slow" is blocked...
    assert seen == [("a", 0), ("a", 1), ("a", 2)]  # ...in order
    assert pool.wait_idle(0.05) is False
    pool.submit("slow", lambda: seen.append(("slow", 0)))
    release.set()
    assert pool.wait_idle(5) is True
    assert seen[-1] == ("slow", 0)
    assert pool.pending == 0
    pool.close()


def test_pool_survives_failing_jobs_and_drops_work_once_closed() -> None:
    pool = LanePool(workers=1)
    seen: list[int] = []

    def broken() -> None:
        raise RuntimeError("job bug")

    pool.submit(1, broken)
    pool.submit(1, lambda: seen.append(1))
    assert pool.wait_idle(5)
    assert seen == [1]
    pool.close()
    assert pool.submit(1, lambda: seen.append(2)) is False
    assert pool.wait_idle(0.1)
    assert seen == [1]


def test_delivery_log_is_bounded_and_filtered() -> None:
    log = DeliveryLog(limit=3)
    for n in range(5):
        log.add({"oauth_id": "a" if n % 2 else "b", "n": n})
    assert [e["n"] for e in log.items()] == [2, 3, 4]
    assert [e["id"] for e in log.items()] == [3, 4, 5]
    assert [e["n"] for e in log.items("a")] == [3]
    assert [e["n"] for e in log.items(last=2)] == [3, 4]
    assert len(log) == 3
    log.clear()
    assert log.items() == []


def test_webhook_claims_and_signature() -> None:
    claims = webhook_claims(
        "client-1", user_id=7, room_id=3, user_tz="Europe/Berlin", ttl=60, now=1000
    )
    assert claims["iss"] == "client-1"
    assert (claims["sub"], claims["prn"]) == ("7", "7")
    assert (claims["iat"], claims["exp"]) == (1000, 1060)
    assert claims["context"] == {"room_id": 3, "user_tz": "Europe/Berlin"}
    assert len(claims["jti"]) == 20
    token = sign(claims, "s" * 40)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    decoded = jwt.decode(token, "s" * 40, algorithms=["HS256"], options={"verify_exp": False})
    assert decoded == claims
    anonymous = webhook_claims("client-1", user_id=None, room_id=None)
    assert "sub" not in anonymous
    assert "prn" not in anonymous
    assert anonymous["context"] == {"user_tz": "UTC"}


def test_acting_user_of_each_event_shape() -> None:
    assert acting_user_id("room_message", {"message": {"from": {"id": 4}}}) == 4
    assert acting_user_id("room_notification", {"message": {"from": "CI"}}) is None
    assert acting_user_id("room_enter", {"sender": {"id": 9}, "room": {}}) == 9
    assert acting_user_id("room_created", {"room": {}}) is None


def _response(status: int, content: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = content
    return response


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (200, b'{"message": "hi"}', {"message": "hi"}),
        (200, b'{"card": {"id": "x"}}', {"card": {"id": "x"}}),
        (204, b"", None),
        (200, b"{}", None),
        (200, b"[1]", None),
        (200, b"\xff\xfe", None),
        (200, b'{"message": ""}', None),
    ],
)
def test_reply_body(status: int, content: bytes, expected: object) -> None:
    assert reply_body(_response(status, content)) == expected


def test_addon_timeouts_come_from_the_environment() -> None:
    settings = load_config(
        environ={"EMULATOR_WEBHOOK_TIMEOUT": "0.5", "EMULATOR_WEBHOOK_WORKERS": "2"}
    )
    assert settings["EMULATOR_WEBHOOK_TIMEOUT"] == 0.5
    assert settings["EMULATOR_WEBHOOK_WORKERS"] == 2
    assert settings["EMULATOR_INSTALL_TIMEOUT"] == 10.0
    with pytest.raises(ValueError, match="EMULATOR_INSTALL_TIMEOUT must be a number"):
        load_config(environ={"EMULATOR_INSTALL_TIMEOUT": "soon"})
