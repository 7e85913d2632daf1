"""The example add-on, installed into the emulator, driven as HipChat drives it (§§1-5)."""

from __future__ import annotations

import time

import requests
from sqlalchemy import select

from addon.extension import EXTENSION_KEY
from addon.store import Installation, Token
from tests.e2e.conftest import LOBBY, notifications


def stored(addon_live) -> list[Installation]:
    store = addon_live.app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        return list(session.scalars(select(Installation)))


def test_descriptor_is_served_with_absolute_links(deploybot):
    doc = requests.get(f"{deploybot.url}/addon/descriptor", timeout=5).json()
    assert doc["key"] == "com.example.deploybot"
    assert doc["links"]["self"] == f"{deploybot.url}/addon/descriptor"
    hooks = {h["key"]: h for h in doc["capabilities"]["webhook"]}
    assert hooks["deploy"]["url"] == f"{deploybot.url}/addon/webhook/deploy"
    assert hooks["deploy"]["authentication"] == "jwt"
    assert doc["capabilities"]["configurable"]["url"] == f"{deploybot.url}/addon/configure"


def test_room_install_deploy_reply_in_body_and_through_api(emulator, deploybot, installed):
    [row] = stored(deploybot)
    assert row.oauth_id == installed["oauthId"]
    assert row.room_id == LOBBY
    assert row.group_id == 1
    assert row.api_url == emulator.api_url

    emulator.say(LOBBY, "/deploy staging", user="@bob")
    emulator.wait_idle()
    texts = notifications(emulator)
    assert texts[-2:] == ["Deploy of staging requested by Bob Builder", "staging deployed"]
    # The second notification came back in the webhook response: posted by the emulator as the
    # add-on, with no API call. The first went through POST /room/{id}/notification.
    sent = emulator.requests_to(rf"/room/{LOBBY}/notification$", "POST")
    assert len(sent) == 1


def test_message_that_matches_no_pattern_gets_no_reply(emulator, installed):
    emulator.say(LOBBY, "deploy staging please")
    emulator.wait_idle()
    assert notifications(emulator) == []


def test_greeting_on_room_enter(emulator, installed):
    emulator.admin("POST", f"rooms/{LOBBY}/enter", json={"user": "@carol"}).raise_for_status()
    emulator.wait_idle()
    assert notifications(emulator) == ["Welcome, Carol Chen! Type /deploy <target> to deploy."]


def test_global_install_answers_in_every_room(emulator, deploybot):
    installed = emulator.install(f"{deploybot.url}/addon/descriptor", room=None)
    [row] = stored(deploybot)
    assert row.oauth_id == installed["oauthId"]
    assert row.room_id is None
    emulator.say(2, "/status", user="@ada")
    emulator.say(LOBBY, "/deploy qa")
    emulator.wait_idle()
    assert notifications(emulator, 2) == ["Deploy Bot is up. Targets: staging, production, qa."]
    assert notifications(emulator, LOBBY)[-1] == "qa deployed"


def test_many_replies_mint_one_token(emulator, installed):
    for _ in range(5):
        emulator.say(LOBBY, "/deploy production")
    emulator.wait_idle()
    assert notifications(emulator).count("production deployed") == 5
    assert len(emulator.requests_to(r"/oauth/token$", "POST")) == 1  # the install's proof


def test_uninstall_deletes_installation_tokens_and_stops_webhooks(emulator, deploybot, installed):
    emulator.say(LOBBY, "/deploy staging")
    emulator.wait_idle()
    response = emulator.uninstall(installed["oauthId"])
    assert response.status_code in (200, 204), response.text
    assert stored(deploybot) == []
    store = deploybot.app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        assert session.scalars(select(Token)).all() == []
    before = len(notifications(emulator))
    emulator.say(LOBBY, "/deploy staging")
    emulator.wait_idle()
    assert len(notifications(emulator)) == before


def test_reinstall_with_the_same_oauth_id_updates_in_place(emulator, deploybot, installed):
    client = emulator.state.get_client(installed["oauthId"])
    payload = {
        "oauthId": installed["oauthId"],
        "oauthSecret": client.secret,
        "capabilitiesUrl": f"{emulator.url}/v2/capabilities",
        "groupId": 1,
        "roomId": str(LOBBY),
    }
    for _ in range(2):
        answer = requests.post(f"{deploybot.url}/addon/installable", json=payload, timeout=10)
        assert answer.status_code == 201, answer.text
    [row] = stored(deploybot)
    assert row.room_id == LOBBY
    assert row.created_at <= row.updated_at


def test_replies_left_pending_by_an_earlier_process_go_out_after_the_next_webhook(
    emulator, deploybot, installed
):
    """A worker that died after its commit leaves sealed rows behind; once their lease has run
    out, the first webhook of the next process starts its poller, which sends them."""
    from datetime import UTC, datetime, timedelta

    from addon.outbox import enqueue

    store = deploybot.app.extensions[EXTENSION_KEY].store
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    with store.session() as session:
        row = enqueue(session, installed["oauthId"], LOBBY, {"message": "left behind"})
        row.claimed_until = long_ago  # the crashed sender's lease, expired
    emulator.say(LOBBY, "/status")  # answered in the body: no reply of its own to send
    deadline = time.monotonic() + 15
    while "left behind" not in notifications(emulator) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert notifications(emulator).count("left behind") == 1
