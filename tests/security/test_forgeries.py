"""Forged and malformed calls against the running deploy bot: each refused, nothing stored or sent.

Complements tests/e2e/test_webhook_auth.py (basic forgeries) and test_install_failures.py
(basic install payloads): here every case also checks the database and the emulator's journal.
"""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import jwt
import pytest
import requests

from addon.auth import sign_jwt
from tests.e2e.conftest import LOBBY, notifications
from tests.security.conftest import counts

OTHER = "0b6e7c6a-0000-4000-8000-00000000beef"


@pytest.fixture
def deploybot(serve_addon):
    """The deploy bot with a small body limit, so 413 is cheap to provoke."""
    import wsgi

    return serve_addon(wsgi.create_app, ADDON_MAX_BODY=4096)


@pytest.fixture
def installed(emulator, deploybot) -> dict[str, Any]:
    return emulator.install(f"{deploybot.url}/addon/descriptor", room=LOBBY)


@pytest.fixture
def secret(emulator, installed) -> str:
    return emulator.state.get_client(installed["oauthId"]).secret


def body(oauth_id: str, text: str = "/deploy staging", *, event: str = "room_message") -> dict:
    return {
        "event": event,
        "item": {
            "message": {
                "id": str(uuid.uuid4()),
                "message": text,
                "from": {"id": 2, "name": "Bob Builder", "mention_name": "bob"},
                "mentions": [],
                "type": "message",
                "date": "2026-12-03T10:00:00.000000+00:00",
            },
            "room": {"id": LOBBY, "name": "Lobby"},
        },
        "oauth_client_id": oauth_id,
        "webhook_id": 1,
    }


def post(live, payload: Any, token: str | None = None, key: str = "deploy", **kwargs: Any):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"JWT {token}"
    if "data" not in kwargs:
        kwargs["json"] = payload
    return requests.post(f"{live.url}/addon/webhook/{key}", headers=headers, timeout=10, **kwargs)


def claims(oauth_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": oauth_id, "iat": now, "exp": now + 600, "sub": "2", "jti": uuid.uuid4().hex}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def forged(kind: str, oauth_id: str, secret: str) -> tuple[str | None, int]:
    now = int(time.time())
    hs = lambda c: jwt.encode(c, secret, algorithm="HS256")  # noqa: E731
    table: dict[str, tuple[str | None, int]] = {
        "no jwt": (None, 401),
        "alg none": (jwt.encode(claims(oauth_id), None, algorithm="none"), 401),
        "alg HS384": (jwt.encode(claims(oauth_id), secret + "y" * 40, algorithm="HS384"), 401),
        "wrong key": (jwt.encode(claims(oauth_id), "z" * 40, algorithm="HS256"), 401),
        "expired": (hs(claims(oauth_id, iat=now - 900, exp=now - 60)), 401),
        "iat in the future": (hs(claims(oauth_id, iat=now + 120, exp=now + 900)), 401),
        "no iss": (hs(claims(oauth_id, iss=None)), 400),
        "no exp": (hs(claims(oauth_id, exp=None)), 400),
        "unknown iss": (hs(claims(OTHER)), 401),
        "exp in a year": (hs(claims(oauth_id, exp=now + 365 * 86400)), 401),
        "exp beyond year 9999": (hs(claims(oauth_id, exp=10**12)), 401),
        "exp not a number": (hs(claims(oauth_id, exp="soon")), 400),
        "garbage": ("e30.e30.e30", 400),
    }
    return table[kind]


FORGERIES = [
    "no jwt",
    "alg none",
    "alg HS384",
    "wrong key",
    "expired",
    "iat in the future",
    "no iss",
    "no exp",
    "unknown iss",
    "exp in a year",
    "exp beyond year 9999",
    "exp not a number",
    "garbage",
]


@pytest.mark.parametrize("kind", FORGERIES)
def test_forged_jwts_are_refused_and_change_nothing(
    emulator, deploybot, installed, secret, leak_guard, kind
):
    before = counts(deploybot)
    token, status = forged(kind, installed["oauthId"], secret)
    answer = leak_guard.body(post(deploybot, body(installed["oauthId"]), token))
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["error"]["code"] == status
    assert counts(deploybot) == before
    assert emulator.requests_to(r"/notification$") == []
    assert notifications(emulator) == []


def test_iat_within_the_leeway_is_accepted(deploybot, installed, secret):
    now = int(time.time())
    token = jwt.encode(claims(installed["oauthId"], iat=now + 5), secret, algorithm="HS256")
    assert post(deploybot, body(installed["oauthId"], "/status"), token, key="status").ok


def test_issuer_must_match_the_oauth_client_id(emulator, deploybot, installed, secret, leak_guard):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = leak_guard.body(post(deploybot, body(OTHER), token))
    assert answer.status_code == 401
    assert "oauth_client_id" in answer.json()["error"]["message"]
    assert notifications(emulator) == []


def test_a_replayed_jwt_is_refused(emulator, deploybot, installed, secret, leak_guard):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    first = post(deploybot, body(installed["oauthId"], "/status"), token, key="status")
    assert first.status_code == 200
    before = counts(deploybot)
    for payload in (body(installed["oauthId"], "/status"), body(installed["oauthId"])):
        again = leak_guard.body(post(deploybot, payload, token, key="status"))
        assert again.status_code == 401
        assert "replay" in again.json()["error"]["message"]
    assert counts(deploybot) == before
    assert emulator.requests_to(r"/notification$") == []


def test_a_jwt_without_jti_is_good_once(deploybot, installed, secret):
    token = jwt.encode(claims(installed["oauthId"], jti=None), secret, algorithm="HS256")
    assert post(deploybot, body(installed["oauthId"], "/status"), token, key="status").ok
    again = post(deploybot, body(installed["oauthId"], "/status"), token, key="status")
    assert again.status_code == 401


def test_signed_request_in_the_query_is_replay_checked_too(deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    url = f"{deploybot.url}/addon/webhook/status"
    payload = body(installed["oauthId"], "/status")
    assert requests.post(url, params={"signed_request": token}, json=payload, timeout=5).ok
    again = requests.post(url, params={"signed_request": token}, json=payload, timeout=5)
    assert again.status_code == 401


def test_body_over_the_limit_is_413(emulator, deploybot, installed, secret, leak_guard):
    before = counts(deploybot)
    payload = body(installed["oauthId"], "/deploy staging " + "x" * 8000)
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = leak_guard.body(post(deploybot, payload, token))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == 413
    assert counts(deploybot) == before
    assert notifications(emulator) == []


def test_chunked_body_over_the_limit_is_413(deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="2")

    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    answer = post(
        deploybot,
        None,
        token,
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413


def test_install_body_over_the_limit_is_413(emulator, deploybot):
    payload = {"oauthId": str(uuid.uuid4()), "oauthSecret": "s" * 10000}
    answer = requests.post(f"{deploybot.url}/addon/installable", json=payload, timeout=5)
    assert answer.status_code == 413
    assert counts(deploybot)["addon_installation"] == 0
    assert emulator.requests_to(r".") == []


def test_malformed_json_is_400(deploybot, installed, secret, leak_guard):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = leak_guard.body(
        post(
            deploybot, None, token, data=b'{"event": ', headers={"Content-Type": "application/json"}
        )
    )
    assert answer.status_code == 400
    assert "JSON" in answer.json()["error"]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(deploybot, installed, secret, content_type):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    headers = {"Content-Type": content_type} if content_type else {}
    answer = post(deploybot, None, token, data=b'{"event": "room_message"}', headers=headers)
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == 415


@pytest.mark.parametrize("event", ["room_bogus", "room_enter", "x" * 500])
def test_other_event_types_are_acknowledged_and_ignored(
    emulator, deploybot, installed, secret, event
):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = post(deploybot, body(installed["oauthId"], event=event), token)
    assert answer.status_code == 204
    assert emulator.requests_to(r"/notification$") == []
    assert notifications(emulator) == []


@pytest.mark.parametrize(
    "payload", [[], "text", 42, {"event": "room_message"}, {"event": 1, "item": {}}, {"item": {}}]
)
def test_signed_bodies_that_are_not_events_are_400(deploybot, installed, secret, payload):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = post(deploybot, payload, token)
    assert answer.status_code == 400
    assert "error" in answer.json()


# -- install payloads --------------------------------------------------------------------------


def install_payload(emulator) -> dict[str, Any]:
    oauth_id, secret = emulator.state.create_client(["send_notification"], 1, LOBBY)
    return {
        "oauthId": oauth_id,
        "oauthSecret": secret,
        "capabilitiesUrl": f"{emulator.url}/v2/capabilities",
        "groupId": 1,
        "roomId": LOBBY,
    }


MISSING = ["oauthId", "oauthSecret", "capabilitiesUrl", "groupId"]
WRONG = [
    {"oauthId": 12345},
    {"oauthId": ["a"]},
    {"oauthSecret": None},
    {"oauthSecret": {"a": 1}},
    {"capabilitiesUrl": 7},
    {"capabilitiesUrl": "ftp://127.0.0.1/caps"},
    {"capabilitiesUrl": "not a url"},
    {"groupId": 1.5},
    {"groupId": -4},
    {"groupId": 10**30},
    {"groupId": "99999999999999999999999"},
    {"roomId": "lobby"},
    {"roomId": {"id": 1}},
    {"roomId": 2**63},
    {"oauthSecret": "s" * 300},
    {"oauthId": "a" * 3000},
    {"capabilitiesUrl": "http://" + "h" * 3000},
    {"oauthId": "not-a-uuid"},
    {"oauthId": "../../etc/passwd"},
    {"oauthId": "f3100c47-9936-40e8-a8aa-00000000000"},
    {"oauthId": "f3100c47-9936-40e8-a8aa-000000000000\n"},
    {"oauthId": ""},
]


@pytest.mark.parametrize("change", [{k: None} for k in MISSING] + WRONG, ids=repr)
def test_malformed_install_payloads_store_and_send_nothing(emulator, deploybot, leak_guard, change):
    payload = {**install_payload(emulator), **change}
    payload = {k: v for k, v in payload.items() if v is not None or k == "oauthSecret"}
    if change == {"oauthSecret": None}:
        payload.pop("oauthSecret")
    answer = leak_guard.body(
        requests.post(f"{deploybot.url}/addon/installable", json=payload, timeout=10)
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == 400
    assert counts(deploybot) == {
        "addon_installation": 0,
        "addon_token": 0,
        "addon_room_webhook": 0,
        "addon_seen_key": 0,
        "addon_outbox": 0,
    }
    assert emulator.requests_to(r".") == []  # not even the capabilities document was fetched


@pytest.mark.parametrize("payload", [b"[]", b'"x"', b"1", b"null", b'{"oauthId": {"$ne": 1}}'])
def test_install_bodies_that_are_not_objects_are_400(emulator, deploybot, payload):
    answer = requests.post(
        f"{deploybot.url}/addon/installable",
        data=payload,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert emulator.requests_to(r".") == []


def test_raw_socket_garbage_never_breaks_the_server(deploybot):
    """A request line that is not HTTP gets an HTTP error, and the server keeps serving."""
    host, port = deploybot.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"\x16\x03\x01\x00\xa5garbage\r\n\r\n")
        conn.recv(1024)
    assert requests.get(f"{deploybot.url}/addon/descriptor", timeout=5).ok


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/addon/installable", 405),
        ("PUT", "/addon/webhook/deploy", 405),
        ("GET", "/addon/nowhere", 404),
        ("POST", "/addon/installable/extra/parts", 404),
    ],
)
def test_wrong_paths_and_methods_under_addon_answer_json(deploybot, method, path, status):
    answer = requests.request(method, f"{deploybot.url}{path}", timeout=5)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == status


def test_the_apps_own_404_pages_are_left_alone(deploybot):
    answer = requests.get(f"{deploybot.url}/elsewhere", timeout=5)
    assert answer.status_code == 404
    assert "json" not in answer.headers["Content-Type"]


def test_an_apps_own_404_handler_is_kept(tmp_path):
    from flask import Flask

    from addon import Addon

    app = Flask("own")
    app.config.update(
        ADDON_SECRET_KEY="k", ADDON_DATABASE_URL=f"sqlite:///{tmp_path}/a.db", ADDON_KEY="own.app"
    )
    app.register_error_handler(404, lambda exc: ("mine", 404))
    Addon(app)
    client = app.test_client()
    assert client.get("/addon/nowhere").get_data(as_text=True) == "mine"
    assert client.get("/addon/installable").get_json()["error"]["code"] == 405
