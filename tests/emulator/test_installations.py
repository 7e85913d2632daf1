"""Installing and uninstalling add-ons through the admin API (HIPCHAT.md §2), over real sockets
against a fake add-on that checks what it is sent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from addon.testing import LiveServer
from tests.emulator import fake_addon
from tests.emulator.fake_addon import FakeAddon
from tests.emulator.helpers import Hub, assert_envelope


@pytest.fixture
def emu(make_hub: Callable[..., Hub]) -> Hub:
    """A fresh seeded emulator (Lobby is room 1, Dev room 2)."""
    return make_hub()


@pytest.fixture
def fake(serve_app: Callable[..., LiveServer]) -> FakeAddon:
    """The fake add-on, served."""
    return fake_addon.serve(serve_app)


def install(hub: Hub, fake: FakeAddon, room: Any = None) -> requests.Response:
    """POST /emulator/api/installations for the fake add-on."""
    body = {"descriptor_url": fake.descriptor_url, "room": room}
    return hub.admin("POST", "installations", json=body, timeout=20)


def token_status(hub: Hub, oauth_id: str, secret: str) -> int:
    """The token endpoint's status for these client credentials."""
    response = requests.post(
        f"{hub.url}/v2/oauth/token",
        auth=(oauth_id, secret),
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    return response.status_code


def test_room_install_sends_typed_install_json(emu: Hub, fake: FakeAddon) -> None:
    response = install(emu, fake, room="Lobby")
    assert response.status_code == 201, response.text
    body = response.json()
    [sent] = fake.installs
    assert body["oauthId"] == sent["oauthId"]
    assert str(uuid.UUID(sent["oauthId"])) == sent["oauthId"]
    assert len(sent["oauthSecret"]) == 40
    assert sent["capabilitiesUrl"] == f"{emu.url}/v2/capabilities"
    assert type(sent["groupId"]) is int
    assert sent["groupId"] == 1
    assert type(sent["roomId"]) is int
    assert sent["roomId"] == 1
    [check] = fake.checks
    assert check["self_ok"] is True
    assert check["token_status"] == 200
    assert set(check["token"]["scope"].split()) == set(fake_addon.SCOPES)
    assert (body["room_id"], body["group_id"]) == (1, 1)
    assert (body["key"], body["name"]) == ("com.example.fake", "Fake Add-on")
    assert {h["key"] for h in body["webhooks"]} == {"echo", "notes", "enter", "exit", "topic"}
    assert {h["room_id"] for h in body["webhooks"]} == {1}
    assert all(h["authentication"] == "jwt" for h in body["webhooks"])
    hooks = emu.state.list_webhooks()
    assert len(hooks) == 5
    assert {h.oauth_client_id for h in hooks} == {body["oauthId"]}


def test_global_install_has_no_room_id_and_hooks_every_room(emu: Hub, fake: FakeAddon) -> None:
    response = install(emu, fake)
    assert response.status_code == 201, response.text
    [sent] = fake.installs
    assert "roomId" not in sent
    assert type(sent["groupId"]) is int
    assert response.json()["room_id"] is None
    rooms = {r.id for r in emu.state.list_rooms(include_archived=True)}
    hooked = {h.room_id for h in emu.state.list_webhooks()}
    assert hooked == rooms
    assert len(rooms) > 1
    client = emu.state.get_client(sent["oauthId"])
    assert client is not None
    assert client.room_id is None
    assert client.name == "Fake Bot"


def test_listing_and_one_installation(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake, room=1).json()["oauthId"]
    [item] = emu.admin("GET", "installations").json()["items"]
    assert item["oauthId"] == oauth_id
    assert item["room"] == {"id": 1, "name": "Lobby"}
    assert item["status"] == "active"
    assert item["scopes"] == sorted(fake_addon.SCOPES)
    assert item["created"].endswith("+00:00")
    assert len(item["webhooks"]) == 5
    assert item["last_deliveries"] == []
    one = emu.admin("GET", f"installations/{oauth_id}").json()
    assert one["descriptor"]["capabilities"]["configurable"]["url"].endswith("/configure")
    assert_envelope(emu.admin("GET", "installations/nope"), 404, "Installation not found")


@pytest.mark.parametrize(
    ("installable", "room", "words"),
    [
        ({"allowGlobal": False}, None, "only be installed into a room"),
        ({"allowRoom": False}, 1, "only be installed globally"),
    ],
)
def test_scope_of_install_is_respected(
    emu: Hub, fake: FakeAddon, installable: dict, room: Any, words: str
) -> None:
    fake.installable = installable
    error = assert_envelope(install(emu, fake, room=room), 400)
    assert words in error["message"]
    assert fake.installs == []
    assert emu.state.clients == {}


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.pop("key"), "'key' is required"),
        (lambda d: d["capabilities"]["installable"].pop("callbackUrl"), "callbackUrl"),
        (lambda d: d["capabilities"]["installable"].update(callbackUrl="ftp://x"), "http"),
        (lambda d: d["capabilities"]["hipchatApiConsumer"].update(scopes=["fly"]), "fly"),
        (lambda d: d["capabilities"]["webhook"][0].update(event="room_dance"), "webhook[0]"),
        (lambda d: d["capabilities"]["webhook"][1].update(key="echo"), "duplicate key"),
        (lambda d: d.pop("capabilities"), "capabilities"),
    ],
)
def test_invalid_descriptors_are_400(emu: Hub, fake: FakeAddon, edit: Any, words: str) -> None:
    fake.edit = edit
    error = assert_envelope(install(emu, fake, room=1), 400)
    assert words in error["message"]
    assert error["message"].startswith("Invalid descriptor")
    assert emu.state.clients == {}
    assert fake.installs == []


def test_descriptor_fetch_failures(emu: Hub, fake: FakeAddon) -> None:
    missing = {"descriptor_url": f"{fake.url}/nothing-here"}
    error = assert_envelope(emu.admin("POST", "installations", json=missing), 502)
    assert "HTTP 404" in error["message"]
    assert error["type"] == "Bad Gateway"
    not_json = {"descriptor_url": f"{emu.url}/emulator/uninstalled"}
    error = assert_envelope(emu.admin("POST", "installations", json=not_json), 400)
    assert "is not JSON: <!doctype html>" in error["message"]
    assert_envelope(emu.admin("POST", "installations", json={}), 400)
    bad_room = {"descriptor_url": fake.descriptor_url, "room": "Atlantis"}
    assert_envelope(emu.admin("POST", "installations", json=bad_room), 404, "Room not found")


def test_unreachable_descriptor_is_502(emu: Hub, serve_app: Callable[..., LiveServer]) -> None:
    gone = fake_addon.serve(serve_app)
    url = gone.descriptor_url
    gone.live.stop()  # type: ignore[union-attr]
    error = assert_envelope(emu.admin("POST", "installations", json={"descriptor_url": url}), 502)
    assert "connection refused" in error["message"]


def test_callback_500_rolls_everything_back(emu: Hub, fake: FakeAddon) -> None:
    fake.install_answer = (500, "database is down")
    error = assert_envelope(install(emu, fake, room=1), 502)
    assert "HTTP 500" in error["message"]
    assert "database is down" in error["message"]
    [sent] = fake.installs
    assert fake.checks[0]["token_status"] == 200  # the client existed during the callback
    assert emu.state.get_client(sent["oauthId"]) is None
    assert token_status(emu, sent["oauthId"], sent["oauthSecret"]) == 401
    assert emu.state.list_webhooks() == []
    assert emu.admin("GET", "installations").json()["items"] == []


def test_callback_timeout_rolls_back(make_hub: Callable[..., Hub], fake: FakeAddon) -> None:
    hub = make_hub({"EMULATOR_INSTALL_TIMEOUT": 0.3})
    fake.install_delay = 1.0
    error = assert_envelope(install(hub, fake), 502)
    assert "timed out" in error["message"]
    [sent] = fake.installs
    assert token_status(hub, sent["oauthId"], sent["oauthSecret"]) == 401
    assert hub.state.list_webhooks() == []


def test_uninstall_deletes_the_client_before_telling_the_addon(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake, room=1).json()["oauthId"]
    response = emu.admin("DELETE", f"installations/{oauth_id}")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["addon_status"] == 204
    assert result["addon_error"] is None
    assert result["addon_url"] == f"{fake.url}/installable/{oauth_id}"
    [seen] = fake.uninstalls
    assert seen == {"oauth_id": oauth_id, "token_status": 401, "body": b""}
    assert emu.state.get_client(oauth_id) is None
    assert emu.state.list_webhooks() == []
    assert emu.admin("GET", "installations").json()["items"] == []
    assert_envelope(emu.admin("DELETE", f"installations/{oauth_id}"), 404)


def test_uninstall_reports_an_addon_failure_in_words(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake).json()["oauthId"]
    fake.delete_answer = (500, "cannot delete tenant")
    result = emu.admin("DELETE", f"installations/{oauth_id}").json()
    assert result["addon_status"] == 500
    assert "cannot delete tenant" in result["addon_error"]
    assert emu.state.get_client(oauth_id) is None


def test_uninstall_by_browser_redirect(emu: Hub, fake: FakeAddon) -> None:
    fake.installable = {"uninstalledUrl": f"{fake.url}/uninstalled"}
    installed = install(emu, fake, room=1).json()
    oauth_id = installed["oauthId"]
    flow = emu.admin("DELETE", f"installations/{oauth_id}?flow=redirect").json()
    assert flow["redirect_to"].startswith(f"{fake.url}/uninstalled?installable_url=")
    assert emu.state.get_client(oauth_id) is None
    browser = requests.get(flow["redirect_to"], allow_redirects=False, timeout=10)
    assert browser.status_code == 302
    assert browser.headers["Location"] == flow["redirect_url"]
    [data] = fake.installables
    assert data["oauthId"] == oauth_id
    assert (data["groupId"], data["roomId"]) == (1, 1)
    assert data["capabilitiesUrl"] == f"{emu.url}/v2/capabilities"
    assert_envelope(requests.get(flow["installable_url"], timeout=5), 404)
    assert fake.uninstalls == []  # the browser flow replaces the server-side DELETE
    page = requests.get(flow["redirect_url"], timeout=5)
    assert page.status_code == 200
    assert oauth_id in page.text


def test_redirect_flow_needs_an_uninstalled_url(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake).json()["oauthId"]
    path = f"installations/{oauth_id}/uninstall-redirect"
    error = assert_envelope(emu.admin("POST", path), 400)
    assert "uninstalledUrl" in error["message"]
    assert emu.state.get_client(oauth_id) is not None
    assert_envelope(emu.admin("DELETE", f"installations/{oauth_id}?flow=sideways"), 400)


def test_deleting_the_client_elsewhere_ends_the_installation(emu: Hub, fake: FakeAddon) -> None:
    oauth_id = install(emu, fake, room=1).json()["oauthId"]
    assert emu.admin("DELETE", f"clients/{oauth_id}").status_code == 204
    assert emu.admin("GET", "installations").json()["items"] == []


def test_reset_forgets_installations(emu: Hub, fake: FakeAddon) -> None:
    install(emu, fake, room=1)
    assert emu.admin("POST", "reset").status_code == 204
    assert emu.admin("GET", "installations").json()["items"] == []
    assert emu.admin("GET", "deliveries").json()["items"] == []
