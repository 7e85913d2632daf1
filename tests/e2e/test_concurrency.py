"""Concurrent installs of one oauthId end with exactly one complete row, on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

import wsgi
from addon.extension import EXTENSION_KEY
from addon.store import Installation, Token
from tests.e2e.conftest import LOBBY


def test_concurrent_installs_of_one_oauth_id_leave_one_row(emulator, deploybot):
    # A fresh oauthId: every request races to insert the first row.
    oauth_id, secret = emulator.state.create_client(list(wsgi.SCOPES), group_id=1, room_id=LOBBY)
    payload = {
        "oauthId": oauth_id,
        "oauthSecret": secret,
        "capabilitiesUrl": f"{emulator.url}/v2/capabilities",
        "groupId": 1,
        "roomId": LOBBY,
    }

    def post(_: int) -> int:
        url = f"{deploybot.url}/addon/installable"
        return requests.post(url, json=payload, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(16)))
    assert statuses == [201] * 16
    store = deploybot.app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        [row] = session.scalars(select(Installation)).all()
        assert store.box.decrypt(row.oauth_secret_encrypted) == secret
        assert row.room_id == LOBBY
        assert row.api_url == emulator.api_url
        assert session.scalar(select(func.count()).select_from(Token)) == 1
