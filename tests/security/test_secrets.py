"""Secrets at rest and in logs: encrypted rows, key rotation, nothing leaked in any flow."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import URL, make_url, text

from addon.auth import sign_jwt
from addon.extension import EXTENSION_KEY
from addon.store import SecretBox, SecretError, Store
from tests.e2e.conftest import LOBBY
from tests.security.conftest import LeakGuard


def database_url(live) -> URL:
    return make_url(live.app.extensions[EXTENSION_KEY].settings.database_url)


def raw_rows(live, sql: str, *, whole: bool = False) -> list[Any]:
    store = live.app.extensions[EXTENSION_KEY].store
    with store.engine.connect() as connection:
        return [tuple(row) if whole else row[0] for row in connection.execute(text(sql))]


def test_secrets_and_tokens_are_encrypted_at_rest(emulator, deploybot, installed, leak_guard):
    secret = emulator.state.get_client(installed["oauthId"]).secret
    emulator.say(LOBBY, "/deploy staging")  # uses the REST API: a token is cached
    emulator.wait_idle()
    stored_secrets = raw_rows(deploybot, "SELECT oauth_secret_encrypted FROM addon_installation")
    stored_tokens = raw_rows(deploybot, "SELECT access_token_encrypted FROM addon_token")
    assert len(stored_secrets) == 1
    assert stored_tokens
    box = SecretBox("test-secret-key")
    assert box.decrypt(stored_secrets[0]) == secret
    assert secret not in stored_secrets[0]
    issued = {box.decrypt(t) for t in stored_tokens}
    assert issued <= leak_guard.secrets  # real tokens the emulator handed out...
    dump = " ".join(
        str(row)
        for table in ("addon_installation", "addon_token", "addon_room_webhook", "addon_seen_key")
        for row in raw_rows(deploybot, f"SELECT * FROM {table}", whole=True)
    )
    for value in leak_guard.secrets:  # ...and no issued secret or token in any column
        assert value not in dump
    if database_url(deploybot).get_backend_name() == "sqlite":  # nor anywhere on disk
        for path in Path(database_url(deploybot).database).parent.glob("addon.db*"):
            data = path.read_bytes()
            for value in leak_guard.secrets:
                assert value.encode() not in data, path


def test_rotate_re_encrypts_under_the_first_key(emulator, serve_addon, leak_guard):
    import wsgi

    live = serve_addon(wsgi.create_app, ADDON_SECRET_KEY="old-key")
    installed = emulator.install(f"{live.url}/addon/descriptor", room=LOBBY)
    url = live.app.extensions[EXTENSION_KEY].settings.database_url
    before = raw_rows(live, "SELECT oauth_secret_encrypted FROM addon_installation")

    def app_with(keys: str):
        return wsgi.create_app(
            {"ADDON_BASE_URL": live.url, "ADDON_DATABASE_URL": url, "ADDON_SECRET_KEY": keys}
        )

    refused = app_with("new-key").test_cli_runner().invoke(args=["addon", "secrets", "rotate"])
    assert refused.exit_code == 1
    assert "nothing was changed" in refused.output
    assert raw_rows(live, "SELECT oauth_secret_encrypted FROM addon_installation") == before

    result = (
        app_with("new-key,old-key").test_cli_runner().invoke(args=["addon", "secrets", "rotate"])
    )
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 installation secret(s) and 1 token(s)" in result.output
    secret = emulator.state.get_client(installed["oauthId"]).secret
    new_only = Store(url, ["new-key"])
    try:
        with new_only.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT oauth_secret_encrypted FROM addon_installation")
            ).all()
            tokens = connection.execute(text("SELECT access_token_encrypted FROM addon_token"))
            token_rows = [row[0] for row in tokens]
        assert new_only.box.decrypt(rows[0][0]) == secret
        assert all(new_only.box.decrypt(t) for t in token_rows)
        with pytest.raises(SecretError):
            SecretBox("old-key").decrypt(rows[0][0])
    finally:
        new_only.dispose()

    # An add-on holding only the new key verifies HipChat's webhooks again.
    relaunched = serve_addon(wsgi.create_app, ADDON_SECRET_KEY="new-key", ADDON_DATABASE_URL=url)
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = requests.post(
        f"{relaunched.url}/addon/webhook/status",
        headers={"Authorization": f"JWT {token}"},
        json={
            "event": "room_message",
            "item": {
                "message": {"id": "m1", "message": "/status", "from": {"id": 2}},
                "room": {"id": LOBBY},
            },
            "oauth_client_id": installed["oauthId"],
            "webhook_id": 1,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_every_flow_leaks_nothing(emulator, deploybot, installed, leak_guard):
    """Install (done), webhooks with replies, the configure page, forgeries, uninstall: the
    autouse leak guard then searches every log line and body for secrets, tokens and JWTs."""
    secret = emulator.state.get_client(installed["oauthId"]).secret
    emulator.say(LOBBY, "/deploy staging")
    emulator.say(LOBBY, "/status")
    emulator.wait_idle()
    # The outbox's failure paths log too: refused, dropped before and after posting, retried.
    for fault in ({"status": 503}, {"reset": True}, {"reset": True, "after": True}):
        emulator.fault("/notification$", method="POST", **fault)
        emulator.say(LOBBY, "/deploy qa")
    emulator.wait_idle()
    outbox = deploybot.app.extensions[EXTENSION_KEY].outbox
    assert outbox.flush(timeout=30) == 0
    assert outbox.counts["retried"] == 3
    assert outbox.counts["confirmed"] == 1  # the one posted before its answer was lost
    page = sign_jwt(installed["oauthId"], secret, sub="1", context={"room_id": LOBBY})
    configure = requests.get(
        f"{deploybot.url}/addon/configure", params={"signed_request": page}, timeout=5
    )
    assert configure.status_code == 200
    bad = sign_jwt(installed["oauthId"], "x" * 40, sub="1")
    leak_guard.body(
        requests.get(f"{deploybot.url}/addon/configure", params={"signed_request": bad}, timeout=5)
    )
    leak_guard.body(requests.delete(f"{deploybot.url}/addon/installable/{installed['oauthId']}"))
    gone = emulator.uninstall(installed["oauthId"])
    assert gone.json()["addon_status"] == 204
    assert len(leak_guard.lines) > 10
    assert any("signed_request=[redacted]" in line for line in leak_guard.lines)


def test_the_leak_guard_notices_leaks() -> None:
    """Guard for the guard: a JWT or a known secret in a log line or a body is reported."""
    guard = LeakGuard()
    guard.secrets.add("s3cr3t-value-of-forty-characters-xxxxxxx")
    logger = logging.getLogger("tests.guard")
    logger.addHandler(guard)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the autouse guard must not see these planted leaks
    try:
        logger.debug("clean line")
        assert guard.leaks() == []
        logger.debug("token %s", sign_jwt("iss", "k" * 40))
        guard.bodies.append("oops s3cr3t-value-of-forty-characters-xxxxxxx")
        assert len(guard.leaks()) == 2
    finally:
        logger.removeHandler(guard)
        logger.propagate = True


def test_access_log_lines_are_redacted() -> None:
    from addon.redact import RedactingFilter, redact

    token = sign_jwt("iss", "k" * 40)
    assert token not in redact(f"GET /x?signed_request={token}&a=1 HTTP/1.1")
    assert redact("GET /x?signed_request=abc&a=1") == "GET /x?signed_request=[redacted]&a=1"
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, "%s", (f"Bearer {token}",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "Bearer [redacted]"


@settings(max_examples=50, deadline=None)
@given(
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    claims=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=30), max_size=4),
)
def test_redact_removes_any_jwt_from_any_text(before: str, after: str, claims: dict) -> None:
    from addon.redact import redact

    token = sign_jwt("f3100c47-9936-40e8-a8aa-000000000000", "k" * 40, context=claims)
    for text_ in (f"{before}{token}{after}", f"{before}?signed_request={token}&{after}"):
        cleaned = redact(text_)
        assert token not in cleaned
        assert token.split(".")[2] not in cleaned  # not even the signature survives
