"""The runtime's installation cache: plain immutable records, the secret kept beside them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from flask import Flask

from addon import Addon
from addon.extension import Runtime, runtime
from addon.store import Installation, migrate


@pytest.fixture
def rt(tmp_path) -> Runtime:
    app = Flask(__name__)
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    app.config.update(
        ADDON_SECRET_KEY="k", ADDON_DATABASE_URL=url, ADDON_BASE_URL="https://bot.example.com"
    )
    Addon(app, key="com.example.cache", name="Cache bot")
    migrate.upgrade(url)
    with app.app_context():
        found = runtime()
    with found.store.session() as session:
        session.add(
            Installation(
                oauth_id="inst-1",
                oauth_secret_encrypted=found.store.box.encrypt("the-secret"),
                group_id=42,
                group_name="Example",
                room_id=7,
                capabilities_url="https://hc.example/v2/capabilities",
                token_url="https://hc.example/v2/oauth/token",
                api_url="https://hc.example/v2/",
                scopes="send_notification view_room",
            )
        )
    return found


def test_records_read_like_the_row_and_cannot_change(rt: Runtime) -> None:
    record = rt.installation("inst-1")
    assert record is not None
    assert (record.oauth_id, record.group_id, record.group_name, record.room_id) == (
        "inst-1",
        42,
        "Example",
        7,
    )
    assert record.api_url == "https://hc.example/v2/"
    assert record.scope_list == ["send_notification", "view_room"]
    assert not record.is_global
    assert record.created_at.tzinfo is not None
    assert record.created_at <= datetime.now(UTC)
    assert rt.store.box.decrypt(record.oauth_secret_encrypted) == "the-secret"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.room_id = None  # type: ignore[misc]
    assert rt.installation("inst-1") is record  # served from the cache
    assert rt.installation("nobody") is None
    assert "the-secret" not in repr(record)


def test_the_webhook_lookup_hands_over_the_secret_without_decrypting(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookup, decrypt = rt.webhook_auth()
    record = lookup("inst-1")
    assert record is not None
    calls: list[str] = []
    monkeypatch.setattr(rt.store.box, "decrypt", lambda token: calls.append(token) or "x")
    assert decrypt(record.oauth_secret_encrypted) == "the-secret"
    assert calls == []
    # A ciphertext the lookup did not find is decrypted as before.
    assert decrypt("something-else") == "x"
    assert calls == ["something-else"]


def test_forgetting_drops_the_record_and_its_secret(rt: Runtime) -> None:
    first = rt.installation("inst-1")
    with rt.store.session() as session:
        row = session.get(Installation, "inst-1")
        assert row is not None
        row.oauth_secret_encrypted = rt.store.box.encrypt("a-new-secret")
    assert rt.installation("inst-1") is first  # still cached
    rt.forget_installation("inst-1")
    lookup, decrypt = rt.webhook_auth()
    fresh = lookup("inst-1")
    assert fresh is not None
    assert fresh is not first
    assert decrypt(fresh.oauth_secret_encrypted) == "a-new-secret"
