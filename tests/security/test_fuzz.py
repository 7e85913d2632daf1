"""Fuzzing every add-on endpoint with random and mutated JSON: never a crash, never a stored row.

Requests go through Flask's test client (no sockets, so hypothesis can try many). "Never a 5xx"
means never a 500: a 502 is the designed answer when an install's HipChat cannot be reached,
which is what a mutated but well-formed install payload meets here (nothing listens on the
trusted host). Plus property tests for descriptor building from random handler sets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from addon.config import load_settings
from addon.descriptor import AddonInfo, build, validate
from addon.dispatch import EVENT_TYPES, MESSAGE_EVENTS, Registry
from addon.extension import EXTENSION_KEY
from addon.store import Installation, RoomWebhook, Token, migrate

OAUTH_ID = "5a0c1e4e-0000-4000-8000-00000000f00d"
SECRET = "fuzz-secret-" + "s" * 28
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The deploy bot on a fresh database, with one installation whose HipChat is unreachable."""
    import wsgi

    database = Path(tmp_path_factory.mktemp("fuzz")) / "addon.db"
    flask_app = wsgi.create_app(
        {
            "ADDON_BASE_URL": "http://127.0.0.1:9",
            "ADDON_DATABASE_URL": f"sqlite:///{database}",
            "ADDON_SECRET_KEY": "fuzz-key",
            "ADDON_TRUSTED_HOSTS": "127.0.0.1:1",  # nothing listens on port 1
            "ADDON_HTTP_TIMEOUT": 0.5,
        }
    )
    rt = flask_app.extensions[EXTENSION_KEY]
    migrate.upgrade(rt.settings.database_url)
    now = datetime.now(UTC)
    with rt.store.session() as session:
        session.add(
            Installation(
                oauth_id=OAUTH_ID,
                oauth_secret_encrypted=rt.store.box.encrypt(SECRET),
                group_id=1,
                room_id=1,
                capabilities_url="http://127.0.0.1:1/v2/capabilities",
                token_url="http://127.0.0.1:1/v2/oauth/token",
                api_url="http://127.0.0.1:1/v2/",
                scopes="send_notification view_room",
                created_at=now,
                updated_at=now,
            )
        )
    yield flask_app
    rt.store.dispose()


def rows(app: Flask) -> dict[str, int]:
    store = app.extensions[EXTENSION_KEY].store
    with store.session() as session:
        return {
            m.__tablename__: int(session.scalar(select(func.count()).select_from(m)))
            for m in (Installation, Token, RoomWebhook)
        }


BASELINE = {"addon_installation": 1, "addon_token": 0, "addon_room_webhook": 0}


def check(app: Flask, response: Any) -> None:
    assert response.status_code != 500, response.get_data(as_text=True)
    assert response.status_code < 500 or response.status_code == 502
    if response.status_code >= 400:
        assert "error" in json.loads(response.get_data())
    assert rows(app) == BASELINE


def post(app: Flask, url: str, payload: Any, token: str | None = None) -> Any:
    """POST ``payload`` as a JSON body (``null`` included) with an optional JWT header."""
    headers = {"Authorization": f"JWT {token}"} if token is not None else {}
    return app.test_client().post(
        url, data=json.dumps(payload), content_type="application/json", headers=headers
    )


def raw_jwt(claims: Any, key: str = SECRET) -> str:
    """An HS256 token over any JSON claims (PyJWT refuses to sign odd ones, HipChat might)."""

    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    digest = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def mutate(base: dict[str, Any], key: str, value: Any, how: str) -> dict[str, Any]:
    mutated = dict(base)
    if how == "drop":
        mutated.pop(key, None)
    else:
        mutated[key] = value
    return mutated


def install_base() -> dict[str, Any]:
    return {
        "oauthId": str(uuid.uuid4()),
        "oauthSecret": "x" * 40,
        "capabilitiesUrl": "http://127.0.0.1:1/v2/capabilities",
        "groupId": 1,
        "roomId": 1,
    }


def event_base() -> dict[str, Any]:
    return {
        "event": "room_message",
        "item": {
            "message": {"id": str(uuid.uuid4()), "message": "/status", "from": {"id": 2}},
            "room": {"id": 1},
        },
        "oauth_client_id": OAUTH_ID,
        "webhook_id": 1,
    }


def signed(**claims: Any) -> str:
    now = int(time.time())
    base = {"iss": OAUTH_ID, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    base.update(claims)
    return raw_jwt(base)


@FUZZ
@given(payload=_json)
def test_random_json_to_installable(app: Flask, payload: Any) -> None:
    check(app, post(app, "/addon/installable", payload))


@FUZZ
@given(
    key=st.sampled_from(list(install_base())) | st.text(max_size=10),
    value=_json,
    how=st.sampled_from(["drop", "replace"]),
)
def test_mutated_install_payloads(app: Flask, key: str, value: Any, how: str) -> None:
    payload = mutate(install_base(), key, value, how)
    check(app, post(app, "/addon/installable", payload))


@FUZZ
@given(oauth_id=st.text(min_size=1, max_size=80).filter(lambda t: "/" not in t))
def test_random_uninstalls(app: Flask, oauth_id: str) -> None:
    response = app.test_client().delete(f"/addon/installable/{oauth_id}")
    assert response.status_code in (204, 404, 405), response.get_data(as_text=True)
    check(app, response)


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["installable_url", "redirect_url", "x"]), st.text(max_size=40)
    )
)
def test_random_browser_uninstalls(app: Flask, query: dict[str, str]) -> None:
    check(app, app.test_client().get("/addon/uninstalled", query_string=query))


@FUZZ
@given(payload=_json, key=st.sampled_from(["deploy", "status", "greet", "nope"]))
def test_random_json_to_webhooks_unsigned(app: Flask, payload: Any, key: str) -> None:
    response = post(app, f"/addon/webhook/{key}", payload)
    assert response.status_code in (400, 401, 404), response.get_data(as_text=True)
    check(app, response)


@FUZZ
@given(
    path=st.sampled_from(["event", "item", "oauth_client_id", "webhook_id", "message", "room"]),
    value=_json,
    how=st.sampled_from(["drop", "replace"]),
    key=st.sampled_from(["deploy", "status", "greet"]),
)
def test_mutated_signed_webhooks(app: Flask, path: str, value: Any, how: str, key: str) -> None:
    payload = event_base()
    if path in ("message", "room"):
        payload["item"] = mutate(payload["item"], path, value, how)
    else:
        payload = mutate(payload, path, value, how)
    response = post(app, f"/addon/webhook/{key}", payload, signed(sub="2"))
    check(app, response)


@FUZZ
@given(
    claims=st.dictionaries(
        st.sampled_from(["iss", "iat", "exp", "sub", "prn", "jti", "context"]), _json, max_size=5
    )
)
def test_random_claims(app: Flask, claims: dict[str, Any]) -> None:
    token = signed(**claims)
    response = post(app, "/addon/webhook/status", event_base(), token)
    check(app, response)
    page = app.test_client().get("/addon/configure", query_string={"signed_request": token})
    check(app, page)


@FUZZ
@given(
    token=st.text(max_size=200),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
def test_random_tokens_and_queries(app: Flask, token: str, query: dict[str, str]) -> None:
    client = app.test_client()
    check(app, client.get("/addon/configure", query_string={**query, "signed_request": token}))
    check(app, client.get("/addon/descriptor", query_string=query))
    raw = client.post(
        "/addon/webhook/status", data=token.encode(), headers={"Content-Type": "application/json"}
    )
    check(app, raw)


# -- descriptor building -----------------------------------------------------------------------

_keys = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)
_patterns = st.sampled_from([None, r"^/deploy", r"\bhelp\b", r"(?i)^/x\s+(\w+)", "^$"])


@settings(max_examples=60, deadline=None)
@given(
    handlers=st.lists(
        st.tuples(st.sampled_from(sorted(EVENT_TYPES)), _patterns, _keys),
        max_size=8,
        unique_by=lambda h: h[2],
    ),
    base=st.sampled_from(
        ["https://bot.example.com", "https://bot.example.com/sub/", "http://127.0.0.1:5000"]
    ),
)
def test_descriptors_from_any_handler_set_validate(handlers, base) -> None:
    registry = Registry()
    for event, pattern, key in handlers:
        registry.add(
            event, lambda e: None, pattern=pattern if event in MESSAGE_EVENTS else None, key=key
        )
    config = {"ADDON_SECRET_KEY": "k", "ADDON_BASE_URL": base}
    info = AddonInfo(key="com.example.fuzz", name="Fuzz", from_name="Fuzz")
    document = build(info, load_settings(config, "/tmp/i"), registry)
    validate(info, registry, document)
    assert json.loads(json.dumps(document)) == document
    hooks = document["capabilities"].get("webhook", [])
    assert [h["key"] for h in hooks] == [key for _, _, key in handlers]
    root = base.rstrip("/")
    for hook in hooks:
        assert hook["url"] == f"{root}/addon/webhook/{hook['key']}"
        assert hook["authentication"] == "jwt"
        if "pattern" in hook:
            re.compile(hook["pattern"])
