"""Webhook delivery to installed add-ons (HIPCHAT.md §4, §5): matching, payloads, JWT, replies
in the response body, the delivery log, ordering and waiting for it all with ``wait_idle``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from addon.testing import LiveServer
from tests.emulator import fake_addon
from tests.emulator.fake_addon import DEFAULT_HOOKS, FakeAddon
from tests.emulator.helpers import Hub


@pytest.fixture
def emu(make_hub: Callable[..., Hub]) -> Hub:
    """A fresh seeded emulator: Lobby (1), users Ada (1), Bob (2), Carol (3)."""
    return make_hub()


@pytest.fixture
def fake(serve_app: Callable[..., LiveServer]) -> FakeAddon:
    """The fake add-on, served."""
    return fake_addon.serve(serve_app)


def install(hub: Hub, fake: FakeAddon, room: Any = 1) -> str:
    """Install the fake add-on (into the Lobby by default); returns its oauthId."""
    body = {"descriptor_url": fake.descriptor_url, "room": room}
    response = hub.admin("POST", "installations", json=body, timeout=20)
    assert response.status_code == 201, response.text
    return str(response.json()["oauthId"])


def say(hub: Hub, text: str, room: Any = 1, user: str = "@ada") -> None:
    """A user message in a room, through the admin API."""
    response = hub.admin("POST", f"rooms/{room}/messages", json={"user": user, "message": text})
    assert response.status_code == 201, response.text


def idle(hub: Hub) -> None:
    """Wait for every delivery to finish."""
    assert hub.state.wait_idle(10)


def hook_id(hub: Hub, key: str, room: int = 1) -> int:
    """The id of the webhook with ``key`` in ``room``."""
    [hook] = [h for h in hub.state.list_webhooks(room) if h.key == key]
    return hook.id


def test_room_message_pattern_envelope_and_jwt(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake)
    for text in ("/echo hello", "no command here", "say /echo later"):
        say(emu, text)
    idle(emu)
    [got] = fake.hooks_named("echo")
    assert got["content_type"] == "application/json"
    body = got["body"]
    assert set(body) == {"event", "item", "oauth_client_id", "webhook_id"}
    assert body["event"] == "room_message"
    assert body["oauth_client_id"] == oauth_id
    assert type(body["webhook_id"]) is int
    assert body["webhook_id"] == hook_id(emu, "echo")
    message = body["item"]["message"]
    assert message["message"] == "/echo hello"
    assert message["from"]["id"] == 1
    assert message["type"] == "message"
    assert body["item"]["room"]["id"] == 1
    claims = got["claims"]
    assert got["jwt_error"] is None
    assert claims["iss"] == oauth_id
    assert claims["sub"] == claims["prn"] == "1"
    assert claims["context"] == {"room_id": 1, "user_tz": "UTC"}
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    assert len(claims["jti"]) == 20


def test_pattern_is_a_case_sensitive_search(
    make_hub: Callable[..., Hub], serve_app: Callable[..., LiveServer]
) -> None:
    hub = make_hub({"EMULATOR_WEBHOOK_JWT_TTL": 60})
    hooks = [{"event": "room_message", "pattern": "INC[0-9]{3}", "url": "hook/inc"}]
    fake = fake_addon.serve(serve_app, hooks=hooks)
    install(hub, fake)
    for text in ("see INC123 please", "inc456", "nothing"):
        say(hub, text, user="@bob")
    idle(hub)
    [got] = fake.hooks_named("inc")
    assert got["body"]["item"]["message"]["message"] == "see INC123 please"
    assert got["claims"]["sub"] == "2"
    assert got["claims"]["exp"] - got["claims"]["iat"] == 60


def test_enter_exit_and_topic_items(emu: Hub, fake: FakeAddon) -> None:
    install(emu, fake)
    emu.admin("POST", "rooms/1/enter", json={"user": "@carol"}).raise_for_status()
    emu.admin("POST", "rooms/Lobby/exit", json={"user": 3}).raise_for_status()
    token = emu.token()
    assert emu.api("PUT", "room/1/topic", token, json={"topic": "release day"}).status_code == 204
    idle(emu)
    [enter] = fake.hooks_named("enter")
    [leave] = fake.hooks_named("exit")
    [topic] = fake.hooks_named("topic")
    assert enter["body"]["event"] == "room_enter"
    assert set(enter["body"]["item"]) == {"room", "sender"}
    assert enter["body"]["item"]["sender"]["id"] == 3
    assert enter["body"]["item"]["sender"]["mention_name"] == "carol"
    assert enter["claims"]["sub"] == "3"
    assert leave["body"]["event"] == "room_exit"
    assert leave["body"]["item"]["sender"]["id"] == 3
    assert topic["body"]["event"] == "room_topic_change"
    assert topic["body"]["item"]["topic"] == "release day"
    assert topic["body"]["item"]["sender"]["id"] == 1
    assert topic["body"]["item"]["room"]["links"]["self"] == f"{emu.url}/v2/room/1"


def test_notifications_fire_room_notification_only(emu: Hub, fake: FakeAddon) -> None:
    install(emu, fake)
    note = {"message": "/echo from a notification", "from_name": "CI"}
    assert emu.admin("POST", "rooms/1/notifications", json=note).status_code == 201
    idle(emu)
    assert fake.hooks_named("echo") == []
    [got] = fake.hooks_named("notes")
    message = got["body"]["item"]["message"]
    assert (message["from"], message["type"]) == ("CI", "notification")
    assert "sub" not in got["claims"]
    assert "prn" not in got["claims"]
    assert got["claims"]["context"]["room_id"] == 1


def test_reply_in_body_is_posted_as_the_addon(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake)
    fake.replies["echo"] = {"message": "echo: hello", "color": "green"}
    say(emu, "/echo hello")
    idle(emu)
    reply = emu.state.room_history(1)[-1]
    assert (reply.type, reply.text, reply.color) == ("notification", "echo: hello", "green")
    assert reply.from_label == "Fake Bot"
    assert reply.sender_client_id == oauth_id
    assert fake.hooks_named("notes") == []  # an add-on does not hear its own notification
    [entry] = emu.admin("GET", "deliveries", params={"oauthId": oauth_id}).json()["items"]
    assert entry["reply_message_id"] == reply.id
    assert entry["ok"] is True
    assert entry["status"] == 200


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"message": "x", "color": "pink"}, "color"),
        ({"card": {"style": "application", "id": "c", "title": "t"}}, "message"),
        ({"message": "y" * 10001}, "message"),
    ],
)
def test_invalid_replies_are_delivery_errors(
    emu: Hub, fake: FakeAddon, answer: dict, error: str
) -> None:
    install(emu, fake)
    fake.replies["echo"] = answer
    say(emu, "/echo")
    idle(emu)
    assert [m.type for m in emu.state.room_history(1)] == ["message"]
    [entry] = emu.admin("GET", "deliveries").json()["items"]
    assert entry["ok"] is False
    assert entry["status"] == 200
    assert "reply in the response body was not posted" in entry["error"]
    assert error in entry["error"]


@pytest.mark.parametrize("answer", [{}, {"message": ""}, "", "not json", {"color": "red"}])
def test_empty_or_non_notification_answers_post_nothing(
    emu: Hub, fake: FakeAddon, answer: Any
) -> None:
    install(emu, fake)
    fake.replies["echo"] = answer
    say(emu, "/echo")
    idle(emu)
    assert [m.type for m in emu.state.room_history(1)] == ["message"]
    [entry] = emu.admin("GET", "deliveries").json()["items"]
    assert entry["ok"] is True
    assert entry["error"] is None


def test_delivery_log_records_failures_in_words(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake)
    token = emu.token()
    rest = {"url": f"{fake.url}/hook/rest", "event": "room_enter"}
    assert emu.api("POST", "room/1/webhook", token, json=rest).status_code == 201
    fake.replies["enter"] = (500, "boom: stack trace here")
    say(emu, "/echo one")
    emu.admin("POST", "rooms/1/enter", json={"user": "@carol"}).raise_for_status()
    idle(emu)
    items = emu.admin("GET", "deliveries").json()["items"]
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    assert [(i["event"], i["status"]) for i in items] == [
        ("room_message", 204),
        ("room_enter", 500),
        ("room_enter", 204),
    ]
    failed = items[1]
    assert failed["ok"] is False
    assert "HTTP 500" in failed["error"]
    assert "boom: stack trace here" in failed["error"]
    assert failed["url"] == f"{fake.url}/hook/enter"
    assert isinstance(failed["latency_ms"], float)
    assert failed["time"].endswith("+00:00")
    mine = emu.admin("GET", "deliveries", params={"oauthId": oauth_id}).json()["items"]
    assert len(mine) == 2
    assert all(i["oauth_id"] == oauth_id for i in mine)
    listed = emu.admin("GET", "installations").json()["items"][0]
    assert [d["id"] for d in listed["last_deliveries"]] == [i["id"] for i in mine]
    assert emu.admin("DELETE", "deliveries").status_code == 204
    assert emu.admin("GET", "deliveries").json()["items"] == []


def test_rest_created_hooks(emu: Hub, fake: FakeAddon) -> None:
    install(emu, fake)  # the fake learns secrets from installs only; this one is unused here
    user_token = emu.token()
    plain = {"url": f"{fake.url}/hook/plain", "event": "room_message", "pattern": "^hi"}
    plain_id = emu.api("POST", "room/1/webhook", user_token, json=plain).json()["id"]
    wants_jwt = {**plain, "url": f"{fake.url}/hook/userjwt", "authentication": "jwt"}
    emu.api("POST", "room/1/webhook", user_token, json=wants_jwt)
    client = emu.admin("POST", "clients", json={"scopes": ["admin_room"]}).json()
    fake.secrets[client["oauthId"]] = client["oauthSecret"]
    minted = requests.post(
        f"{emu.url}/v2/oauth/token",
        auth=(client["oauthId"], client["oauthSecret"]),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()["access_token"]
    signed = {**plain, "url": f"{fake.url}/hook/client", "authentication": "jwt"}
    emu.api("POST", "room/1/webhook", minted, json=signed)
    say(emu, "hi there", user="@bob")
    idle(emu)
    [got] = fake.hooks_named("plain")
    assert got["signed"] is False
    assert "oauth_client_id" not in got["body"]
    assert got["body"]["webhook_id"] == plain_id
    [unsigned] = fake.hooks_named("userjwt")
    assert unsigned["signed"] is False
    [by_client] = fake.hooks_named("client")
    assert by_client["body"]["oauth_client_id"] == client["oauthId"]
    assert by_client["claims"]["iss"] == client["oauthId"]
    assert by_client["claims"]["sub"] == "2"
    notes = [i.get("note") for i in emu.admin("GET", "deliveries").json()["items"]]
    assert any(n and "unsigned" in n for n in notes)


def test_delivery_does_not_block_the_request(emu: Hub, fake: FakeAddon) -> None:
    install(emu, fake)
    fake.gate = threading.Event()
    started = time.monotonic()
    say(emu, "/echo slow")
    assert time.monotonic() - started < 3  # the add-on holds the webhook for 5 s
    assert emu.state.wait_idle(0.1) is False
    fake.gate.set()
    assert emu.state.wait_idle(5) is True
    assert len(fake.hooks_named("echo")) == 1


def test_deliveries_keep_order_within_a_room(emu: Hub, fake: FakeAddon) -> None:
    install(emu, fake, room=None)
    for n in range(6):
        say(emu, f"/echo {n}", room=1 + n % 2)
    idle(emu)
    texts = [r["body"]["item"]["message"]["message"] for r in fake.hooks_named("echo")]
    by_room = {
        room: [
            t
            for t, r in zip(texts, fake.hooks_named("echo"), strict=True)
            if r["body"]["item"]["room"]["id"] == room
        ]
        for room in (1, 2)
    }
    assert by_room == {1: ["/echo 0", "/echo 2", "/echo 4"], 2: ["/echo 1", "/echo 3", "/echo 5"]}


def test_webhook_timeout_is_recorded(
    make_hub: Callable[..., Hub], serve_app: Callable[..., LiveServer]
) -> None:
    hub = make_hub({"EMULATOR_WEBHOOK_TIMEOUT": 0.3})
    fake = fake_addon.serve(serve_app)
    install(hub, fake)
    fake.gate = threading.Event()
    say(hub, "/echo")
    idle(hub)
    fake.gate.set()
    [entry] = hub.admin("GET", "deliveries").json()["items"]
    assert entry["status"] is None
    assert entry["ok"] is False
    assert "timed out" in entry["error"]


def test_global_install_reaches_rooms_created_later(
    emu: Hub, serve_app: Callable[..., LiveServer]
) -> None:
    hooks = [*DEFAULT_HOOKS, {"event": "room_created", "url": "hook/created"}]
    fake = fake_addon.serve(serve_app, hooks=hooks)
    install(emu, fake, room=None)
    token = emu.token()
    room_id = emu.api("POST", "room", token, json={"name": "Later"}).json()["id"]
    assert {h.key for h in emu.state.list_webhooks(room_id)} >= {"echo", "notes"}
    say(emu, "/echo new room", room=room_id)
    idle(emu)
    [created] = fake.hooks_named("created")
    assert created["body"]["item"]["room"]["id"] == room_id
    [echo] = fake.hooks_named("echo")
    assert echo["body"]["item"]["room"]["id"] == room_id
    assert echo["claims"]["context"]["room_id"] == room_id


def test_room_deletion_reaches_hooks_then_uninstalls_room_installs(
    emu: Hub, serve_app: Callable[..., LiveServer]
) -> None:
    fake = fake_addon.serve(serve_app, hooks=[{"event": "room_deleted", "url": "hook/gone"}])
    token = emu.token()
    room_id = emu.api("POST", "room", token, json={"name": "Doomed"}).json()["id"]
    oauth_id = install(emu, fake, room=room_id)
    assert emu.api("DELETE", f"room/{room_id}", token).status_code == 204
    idle(emu)
    [gone] = fake.hooks_named("gone")
    assert gone["body"]["item"]["room"]["id"] == room_id
    assert [u["oauth_id"] for u in fake.uninstalls] == [oauth_id]
    assert emu.state.get_client(oauth_id) is None


def test_hooks_wait_until_the_install_succeeded(emu: Hub, fake: FakeAddon) -> None:
    fake.on_install = lambda data: say(emu, "/echo during install")
    install(emu, fake)
    idle(emu)
    assert fake.hooks_named("echo") == []
    say(emu, "/echo after")
    idle(emu)
    assert len(fake.hooks_named("echo")) == 1


def test_two_addons_replying_to_each_other_stop(
    emu: Hub, serve_app: Callable[..., LiveServer]
) -> None:
    notes = [{"event": "room_notification", "url": "hook/notes"}]
    ping, pong = (fake_addon.serve(serve_app, hooks=notes) for _ in range(2))
    for fake in (ping, pong):
        fake.replies["notes"] = {"message": "heard you"}
        install(emu, fake)
    emu.admin("POST", "rooms/1/notifications", json={"message": "start"}).raise_for_status()
    idle(emu)
    assert len(ping.hooks_named("notes")) == len(pong.hooks_named("notes")) == 3
    assert [m.text for m in emu.state.room_history(1)].count("heard you") == 6


def test_uninstalled_addons_get_nothing(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake)
    assert emu.admin("DELETE", f"installations/{oauth_id}").status_code == 200
    say(emu, "/echo anyone?")
    idle(emu)
    assert fake.received == []
    assert emu.admin("GET", "deliveries").json()["items"] == []
