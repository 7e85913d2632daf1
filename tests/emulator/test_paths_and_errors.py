"""Sloppy URLs (HIPCHAT.md §1.8, §8) and the error envelope for every error (§6.13)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import requests

from addon.emulator import create_app
from addon.emulator.serving import make_emulator_server
from addon.testing import LiveServer
from tests.emulator.helpers import Hub, assert_envelope


def test_double_slashes_and_trailing_slash(hub: Hub, admin_token: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    for path in ("/v2//room/1", "/v2/room//1", "/v2///room/1/", "/v2/room/1/"):
        response = requests.get(hub.url + path, headers=headers, timeout=5)
        assert response.status_code == 200, path
        assert response.json()["links"]["self"] == f"{hub.url}/v2/room/1"
    posted = requests.post(
        f"{hub.url}/v2//room/1//notification", headers=headers, json={"message": "x"}, timeout=5
    )
    assert posted.status_code == 204


def test_links_use_the_request_host(hub: Hub, admin_token: str) -> None:
    other = f"http://localhost:{hub.live.port}"
    room = requests.get(
        f"{other}/v2/room/1", headers={"Authorization": f"Bearer {admin_token}"}, timeout=5
    ).json()
    assert room["links"]["self"] == f"{other}/v2/room/1"
    assert room["owner"]["links"]["self"] == f"{other}/v2/user/1"


def test_unencoded_query_values(hub: Hub, admin_token: str) -> None:
    url = f"{hub.url}/v2/room/1?expand=owner,statistics&auth_token={admin_token}"
    data = requests.get(url, timeout=5).json()
    assert "email" in data["owner"]
    assert "messages_sent" in data["statistics"]


def test_raw_spaces_in_request_line_with_cli_server() -> None:
    app = create_app()
    live = LiveServer(app=app, server=make_emulator_server(app, "127.0.0.1", 0))
    try:
        token = app.extensions["emulator"].mint_token(None, "@ada").access_token
        with socket.create_connection(("127.0.0.1", live.port), timeout=5) as sock:
            sock.sendall(
                f"GET /v2/room/Secret Lab?auth_token={token} HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert json.loads(body)["name"] == "Secret Lab"
    finally:
        live.stop()


def test_error_envelope_everywhere(hub: Hub, admin_token: str) -> None:
    assert_envelope(hub.api("GET", "not/a/route", admin_token), 404)
    assert_envelope(hub.api("GET", "room/99", admin_token), 404, "Room not found")
    method = hub.api("PATCH", "room/1", admin_token)
    assert assert_envelope(method, 405)["type"] == "Method Not Allowed"
    assert "GET" in method.headers["Allow"]
    broken = hub.api(
        "POST", "room", admin_token, data="{not json", headers={"Content-Type": "application/json"}
    )
    assert assert_envelope(broken, 400)["type"] == "Bad Request"
    array = hub.api("POST", "room", admin_token, json=["a"])
    assert_envelope(array, 400)
    empty = hub.api("POST", "room/1/notification", admin_token)
    assert_envelope(empty, 400)
    admin_404 = requests.get(f"{hub.url}/emulator/api/nothing", timeout=5)
    assert_envelope(admin_404, 404)
    for response in (method, broken, array):
        assert response.headers["Content-Type"] == "application/json"


def test_unexpected_exception_is_a_500_envelope(
    serve_app: Callable[..., LiveServer],
) -> None:
    app = create_app()

    def explode() -> None:
        raise RuntimeError("boom")

    app.add_url_rule("/v2/explode", "explode", explode)
    live = serve_app(app)
    response = requests.get(f"{live.url}/v2/explode", timeout=5)
    assert_envelope(response, 500)
    assert "X-Ratelimit-Limit" in response.headers


def test_form_encoded_bodies_are_tolerated(hub: Hub, admin_token: str) -> None:
    response = hub.api(
        "POST", "room/1/notification", admin_token, data={"message": "form", "color": "red"}
    )
    assert response.status_code == 204
    assert hub.state.room_history(1)[-1].color == "red"


def test_json_labelled_as_form_is_read_as_json(hub: Hub, admin_token: str) -> None:
    response = hub.api(
        "POST",
        "room/1/notification",
        admin_token,
        data='{"message": "mislabelled", "color": "purple"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 204
    assert hub.state.room_history(1)[-1].color == "purple"
