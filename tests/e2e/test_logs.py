"""Logs of a full install -> webhook -> reply -> uninstall flow, captured from every logger at
DEBUG, carry installation/room/event ids and never the OAuth secret, an access token or a JWT."""

from __future__ import annotations

import logging
import re

from tests.e2e.conftest import LOBBY, notifications

JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def test_no_secret_token_or_jwt_in_any_log_line(emulator, deploybot, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records
    for name in ("werkzeug", "urllib3", "requests", "sqlalchemy", "addon"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        installed = emulator.install(f"{deploybot.url}/addon/descriptor", room=LOBBY)
        oauth_id = installed["oauthId"]
        secret = emulator.state.get_client(oauth_id).secret
        emulator.say(LOBBY, "/deploy staging")
        emulator.wait_idle()
        assert notifications(emulator)[-1] == "staging deployed"
        tokens = [t for t, v in emulator.state.tokens.items() if v.client_id == oauth_id]
        assert tokens
        assert emulator.uninstall(oauth_id).status_code in (200, 204)
    finally:
        for name in ("werkzeug", "urllib3", "requests", "sqlalchemy", "addon"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    lines = [record.getMessage() for record in caplog.records]
    lines += [record.exc_text or "" for record in caplog.records]
    text = "\n".join(lines)
    names = {record.name for record in caplog.records}
    assert {"werkzeug", "urllib3.connectionpool", "addon.installs", "addon.dispatch"} <= names
    assert secret not in text
    for token in tokens:
        assert token not in text
    assert not JWT_RE.search(text)
    ran = [line for line in lines if "handler deploy" in line and " ran " in line]
    assert ran, "no log line for the handler run"
    assert f"installation={oauth_id}" in ran[0]
    assert f"room={LOBBY}" in ran[0]
    assert "event=" in ran[0]
    assert any(f"installed installation={oauth_id}" in line for line in lines)
