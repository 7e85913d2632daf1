"""The chat pages through Flask's test client: room list, room page, posting, presence, topic,
polling, and errors in words."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addon.emulator import create_app
from addon.emulator.ui.blueprint import QuietPolling

JSON = {"Accept": "application/json"}
UI = Path(__file__).resolve().parents[3] / "addon" / "emulator" / "ui"


@pytest.fixture
def app() -> Flask:
    return create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def events(app: Flask) -> list[tuple[str, int, dict[str, Any]]]:
    seen: list[tuple[str, int, dict[str, Any]]] = []
    app.extensions["emulator"].subscribe(
        lambda name, room, item: seen.append((name, room.id, item))
    )
    return seen


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return response.get_data(as_text=True)


def test_room_list_shows_rooms_topics_and_a_create_form(client: FlaskClient) -> None:
    html = page(client, "/")
    assert 'href="/rooms/1"' in html
    assert "Lobby" in html
    assert "Welcome to the emulated HipChat" in html
    assert "Secret Lab" in html
    assert "private" in html
    assert 'action="/rooms"' in html


def test_creating_a_room_redirects_to_it_and_fires_room_created(
    client: FlaskClient, app: Flask, events: list[Any]
) -> None:
    response = client.post("/rooms", data={"name": "Ops", "topic": "Pager", "user": "2"})
    assert response.status_code == 303
    room = app.extensions["emulator"].get_room("Ops")
    assert response.headers["Location"].endswith(f"/rooms/{room.id}")
    assert (room.topic, room.owner_id) == ("Pager", 2)
    assert [e[0] for e in events] == ["room_created"]
    assert "Pager" in page(client, f"/rooms/{room.id}")


def test_a_refused_room_is_explained(client: FlaskClient) -> None:
    response = client.post("/rooms", data={"name": "lobby"})
    assert response.status_code == 400
    assert "Another room exists with that name" in response.get_data(as_text=True)
    response = client.post("/rooms", data={"name": ""})
    assert response.status_code == 400
    assert 'class="alert alert-error"' in response.get_data(as_text=True)


def test_room_page_renders_each_kind_of_history_item(client: FlaskClient, app: Flask) -> None:
    state = app.extensions["emulator"]
    state.post_user_message(1, 2, "hi @carol and @nobody <script>alert(1)</script> http://x.io/a.")
    state.post_notification(
        1, {"message": "<b>bold</b><img src=x onerror=alert(2)>", "color": "red"}, "CI"
    )
    state.post_notification(
        1, {"message": "<i>not html</i> @ada", "color": "green", "message_format": "text"}, "Bot"
    )
    state.post_notification(
        1,
        {
            "message": "fallback",
            "card": {
                "style": "application",
                "id": "b-1",
                "title": "Build #1 passed",
                "url": "javascript:alert(3)",
                "format": "medium",
                "description": {"value": "<b>main</b><img src=x>", "format": "html"},
                "icon": {"url": "https://ci.example/i.png"},
                "attributes": [
                    {"label": "Status", "value": {"label": "passed", "style": "lozenge-success"}}
                ],
            },
        },
        "CI",
    )
    html = page(client, "/rooms/1")
    assert "Bob Builder" in html
    assert '<span class="mention">@carol</span> and @nobody' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="http://x.io/a" target="_blank" rel="noopener noreferrer">' in html
    assert "color-red" in html
    assert '<b>bold</b><img src="x">' in html
    assert "onerror" not in html
    assert "alert(2)" not in html
    assert '&lt;i&gt;not html&lt;/i&gt; <span class="mention">@ada</span>' in html
    assert "color-green" in html
    assert "Build #1 passed" in html
    assert "javascript:" not in html
    assert "<b>main</b>" in html
    assert 'class="card-icon" src="https://ci.example/i.png"' in html
    assert "lozenge lozenge-success" in html
    assert "passed" in html
    assert "fallback" not in html  # the card replaces its fallback message


def test_updates_return_only_new_messages_rendered(client: FlaskClient, app: Flask) -> None:
    state = app.extensions["emulator"]
    state.post_user_message(1, 1, "first")
    data = client.get("/rooms/1/updates?since=0").get_json()
    assert data["count"] == 1
    assert data["reset"] is False
    assert "first" in data["messages"][0]["html"]
    assert data["topic"] == "Welcome to the emulated HipChat"
    assert [p["name"] for p in data["present"]] == ["Ada Admin", "Bob Builder"]
    state.post_user_message(1, 1, "second")
    again = client.get("/rooms/1/updates?since=1").get_json()
    assert [("second" in m["html"]) for m in again["messages"]] == [True]
    assert client.get("/rooms/1/updates?since=9").get_json()["reset"] is True


def test_posting_as_the_picked_user_fires_room_message(
    client: FlaskClient, app: Flask, events: list[Any]
) -> None:
    response = client.post(
        "/rooms/1/say", data={"user": "3", "message": "/deploy qa"}, headers=JSON
    )
    assert response.status_code == 201
    [message] = app.extensions["emulator"].room_history(1)
    assert (message.from_user_id, message.text) == (3, "/deploy qa")
    assert events[0][0] == "room_message"
    assert events[0][2]["message"]["from"]["id"] == 3
    # without the page's script (a plain form post) the browser is sent back to the room
    plain = client.post("/rooms/1/say", data={"user": "3", "message": "again"})
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith("/rooms/1")


def test_posting_errors_are_words(client: FlaskClient) -> None:
    empty = client.post("/rooms/1/say", data={"user": "1", "message": "  "}, headers=JSON)
    assert empty.status_code == 400
    assert empty.get_json()["error"]["message"] == "Type a message first"
    nobody = client.post("/rooms/1/say", data={"user": "99", "message": "x"}, headers=JSON)
    assert nobody.status_code == 404
    assert nobody.get_json()["error"]["message"] == "User not found"
    html = client.post("/rooms/1/say", data={"user": "1", "message": "x" * 10001})
    assert html.status_code == 400
    assert "alert-error" in html.get_data(as_text=True)


def test_enter_and_leave_fire_room_enter_and_room_exit(
    client: FlaskClient, app: Flask, events: list[Any]
) -> None:
    assert client.post("/rooms/1/enter", data={"user": "3"}, headers=JSON).status_code == 200
    assert 3 in app.extensions["emulator"].get_room(1).participants
    assert client.post("/rooms/1/exit", data={"user": "3"}, headers=JSON).status_code == 200
    assert 3 not in app.extensions["emulator"].get_room(1).participants
    assert [(e[0], e[2]["sender"]["id"]) for e in events] == [("room_enter", 3), ("room_exit", 3)]


def test_setting_the_topic_fires_room_topic_change(
    client: FlaskClient, app: Flask, events: list[Any]
) -> None:
    response = client.post("/rooms/1/topic", data={"user": "2", "topic": "Release day"})
    assert response.status_code == 303
    assert app.extensions["emulator"].get_room(1).topic == "Release day"
    assert events[0][0] == "room_topic_change"
    assert (events[0][2]["topic"], events[0][2]["sender"]["id"]) == ("Release day", 2)
    too_long = client.post("/rooms/1/topic", data={"topic": "x" * 251}, headers=JSON)
    assert too_long.status_code == 400


def test_unknown_room_is_an_html_404(client: FlaskClient) -> None:
    html = page(client, "/rooms/404", 404)
    assert "Room not found" in html
    assert "<!doctype html>" in html


def test_room_page_has_the_user_picker_and_polls(client: FlaskClient) -> None:
    html = page(client, "/rooms/1")
    assert re.search(r'<select name="user" id="user-picker">\s*<option value="1"', html)
    assert "Carol Chen (@carol)" in html
    assert 'data-poll="500"' in html
    assert 'data-updates="/rooms/1/updates"' in html
    assert '<script src="/emulator/ui/static/chat.js">' in html


def test_assets_are_served_and_nothing_is_loaded_from_elsewhere(client: FlaskClient) -> None:
    for name in ("chat.css", "chat.js"):
        response = client.get(f"/emulator/ui/static/{name}")
        assert response.status_code == 200
        response.close()
    files = [*UI.joinpath("templates").rglob("*.html"), *UI.joinpath("static").iterdir()]
    assert len(files) >= 8
    for path in files:
        text = path.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "@import" not in text, path
        assert "url(http" not in text, path


def test_successful_polls_are_kept_out_of_the_server_log(app: Flask) -> None:
    [quiet] = [f for f in logging.getLogger("werkzeug").filters if isinstance(f, QuietPolling)]

    def line(request: str, status: str) -> logging.LogRecord:
        return logging.LogRecord(
            "werkzeug",
            logging.INFO,
            __file__,
            1,
            '%s - - [x] "%s" %s -',
            ("1.2.3.4", request, status),
            None,
        )

    assert not quiet.filter(line("GET /rooms/3/updates?since=6 HTTP/1.1", "200"))
    assert quiet.filter(line("GET /rooms/3/updates?since=6 HTTP/1.1", "500"))
    assert quiet.filter(line("POST /rooms/3/say HTTP/1.1", "201"))
    assert quiet.filter(line("GET /rooms/3 HTTP/1.1", "200"))
