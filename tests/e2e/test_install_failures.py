"""Installs that must fail store nothing; uninstalls HipChat did not ask for change nothing."""

from __future__ import annotations

import socket
import uuid

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

import wsgi
from addon.extension import EXTENSION_KEY
from addon.store import Installation
from tests.e2e.conftest import LOBBY


def count(addon_live) -> int:
    store = addon_live.app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Installation)))


def install_payload(emulator, *, room=LOBBY, scopes=wsgi.SCOPES):
    oauth_id, secret = emulator.state.create_client(list(scopes), group_id=1, room_id=room)
    payload = {
        "oauthId": oauth_id,
        "oauthSecret": secret,
        "capabilitiesUrl": f"{emulator.url}/v2/capabilities",
        "groupId": 1,
    }
    if room is not None:
        payload["roomId"] = room
    return payload


def post_install(addon_live, payload):
    return requests.post(f"{addon_live.url}/addon/installable", json=payload, timeout=10)


def test_a_valid_install_is_stored(emulator, deploybot):
    answer = post_install(deploybot, install_payload(emulator))
    assert answer.status_code == 201, answer.text
    assert count(deploybot) == 1


class Canary:
    """A TCP listener that records whether anyone connected to it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]

    def connected(self) -> bool:
        try:
            conn, _ = self.sock.accept()
        except TimeoutError:
            return False
        conn.close()
        return True


def test_untrusted_host_is_refused_before_any_request(emulator, deploybot):
    canary = Canary()
    payload = install_payload(emulator)
    payload["capabilitiesUrl"] = f"http://127.0.0.1:{canary.port}/v2/capabilities"
    answer = post_install(deploybot, payload)
    assert answer.status_code == 400
    assert "trusted" in answer.json()["error"]["message"]
    assert not canary.connected()
    assert count(deploybot) == 0


def test_self_link_mismatch_is_refused(emulator, serve_addon, serve_app):
    import wsgi

    impostor = Flask("impostor")

    @impostor.get("/v2/capabilities")
    def capabilities():
        document = requests.get(f"{emulator.url}/v2/capabilities", timeout=5).json()
        document["links"]["self"] = "https://api.hipchat.com/v2/capabilities"
        return document

    fake = serve_app(impostor)
    addon_live = serve_addon(
        wsgi.create_app, ADDON_TRUSTED_HOSTS=f"{emulator.host},127.0.0.1:{fake.port}"
    )
    payload = install_payload(emulator)
    payload["capabilitiesUrl"] = f"{fake.url}/v2/capabilities"
    answer = post_install(addon_live, payload)
    assert answer.status_code == 400
    assert "links.self" in answer.json()["error"]["message"]
    assert count(addon_live) == 0


def test_refused_credentials_answer_502(emulator, deploybot):
    payload = install_payload(emulator)
    payload["oauthSecret"] = "not-the-secret"
    answer = post_install(deploybot, payload)
    assert answer.status_code == 502
    assert "refused" in answer.json()["error"]["message"]
    assert count(deploybot) == 0


def test_unreachable_hipchat_answers_502(emulator, serve_addon):
    import wsgi

    canary = Canary()
    port = canary.port
    canary.sock.close()  # nothing listens there any more
    addon_live = serve_addon(wsgi.create_app, ADDON_TRUSTED_HOSTS=f"127.0.0.1:{port}")
    payload = install_payload(emulator)
    payload["capabilitiesUrl"] = f"http://127.0.0.1:{port}/v2/capabilities"
    answer = post_install(addon_live, payload)
    assert answer.status_code == 502
    assert count(addon_live) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"oauthId": None},
        {"oauthId": "not-a-uuid"},
        {"oauthSecret": 42},
        {"groupId": "one"},
        {"groupId": True},
        {"roomId": [1]},
        {"capabilitiesUrl": "x" * 5000},
    ],
)
def test_malformed_install_payloads_are_400(emulator, deploybot, change):
    payload = {**install_payload(emulator), **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    answer = post_install(deploybot, payload)
    assert answer.status_code == 400, answer.text
    assert "error" in answer.json()
    assert count(deploybot) == 0


def test_wrong_content_type_and_bad_json(deploybot):
    url = f"{deploybot.url}/addon/installable"
    assert requests.post(url, data="oauthId=x", timeout=5).status_code == 415
    bad = requests.post(url, data="{", headers={"Content-Type": "application/json"}, timeout=5)
    assert bad.status_code == 400


def test_room_id_as_string_is_accepted(emulator, deploybot):
    payload = install_payload(emulator)
    payload["roomId"] = str(LOBBY)
    assert post_install(deploybot, payload).status_code == 201


def test_global_install_refused_when_not_allowed(emulator, serve_addon):
    from flask import Flask

    from addon import Addon

    def create_app(config):
        app = Flask(__name__)
        app.config.update(config)
        Addon(app, key="room.only", name="Room only", allow_global=False)
        return app

    addon_live = serve_addon(create_app)
    answer = post_install(addon_live, install_payload(emulator, room=None))
    assert answer.status_code == 400
    assert "room" in answer.json()["error"]["message"]
    assert count(addon_live) == 0


def test_forged_uninstall_changes_nothing(emulator, deploybot, installed):
    answer = requests.delete(
        f"{deploybot.url}/addon/installable/{installed['oauthId']}", timeout=10
    )
    assert answer.status_code == 403
    assert count(deploybot) == 1
    emulator.say(LOBBY, "/status")
    emulator.wait_idle()
    assert emulator.history(LOBBY)[-1]["message"].startswith("Deploy Bot is up")


def test_uninstall_of_an_unknown_installation_is_idempotent(deploybot):
    answer = requests.delete(f"{deploybot.url}/addon/installable/{uuid.uuid4()}", timeout=10)
    assert answer.status_code == 204
