"""Webhooks that do not prove they come from HipChat are refused (§4.2) and run no handler."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from addon.auth import sign_jwt
from tests.e2e.conftest import LOBBY, notifications


def webhook_body(oauth_id: str, text: str = "/deploy staging", sender: int = 2) -> dict:
    return {
        "event": "room_message",
        "item": {
            "message": {
                "id": "2f1f0c8e-0000-4000-8000-000000000001",
                "message": text,
                "from": {"id": sender, "name": "Bob Builder", "mention_name": "bob"},
                "mentions": [],
                "type": "message",
                "date": "2026-12-03T10:00:00.000000+00:00",
            },
            "room": {"id": LOBBY, "name": "Lobby"},
        },
        "oauth_client_id": oauth_id,
        "webhook_id": 1,
    }


@pytest.fixture
def secret(emulator, installed) -> str:
    return emulator.state.get_client(installed["oauthId"]).secret


def post(deploybot, body, token=None, key="deploy"):
    headers = {"Authorization": f"JWT {token}"} if token else {}
    return requests.post(
        f"{deploybot.url}/addon/webhook/{key}", json=body, headers=headers, timeout=10
    )


def test_a_correctly_signed_webhook_is_answered(deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="2", context={"room_id": LOBBY})
    answer = post(deploybot, webhook_body(installed["oauthId"], "/status"), token, key="status")
    assert answer.status_code == 200
    assert answer.json()["message"].startswith("Deploy Bot is up")


def test_signed_request_query_parameter_is_accepted(deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    answer = requests.post(
        f"{deploybot.url}/addon/webhook/status",
        params={"signed_request": token},
        json=webhook_body(installed["oauthId"], "/status"),
        timeout=10,
    )
    assert answer.status_code == 200


def forged_tokens(oauth_id: str, secret: str) -> dict[str, tuple[str | None, int]]:
    now = int(time.time())
    good = {"iss": oauth_id, "iat": now, "exp": now + 600, "sub": "2"}
    return {
        "none": (None, 401),
        "bad signature": (jwt.encode(good, "wrong-secret-" + "x" * 32, algorithm="HS256"), 401),
        "expired": (jwt.encode({**good, "iat": now - 900, "exp": now - 300}, secret), 401),
        "unknown issuer": (
            jwt.encode({**good, "iss": "0b6e7c6a-0000-4000-8000-00000000beef"}, secret),
            401,
        ),
        "alg none": (jwt.encode(good, None, algorithm="none"), 401),
        "hs512": (jwt.encode(good, secret + "x" * 40, algorithm="HS512"), 401),
        "garbage": ("not.a.jwt", 400),
    }


@pytest.mark.parametrize(
    "kind", ["none", "bad signature", "expired", "unknown issuer", "alg none", "hs512", "garbage"]
)
def test_forged_webhooks_are_refused_and_run_nothing(emulator, deploybot, installed, secret, kind):
    token, status = forged_tokens(installed["oauthId"], secret)[kind]
    answer = post(deploybot, webhook_body(installed["oauthId"]), token)
    assert answer.status_code == status, answer.text
    assert "error" in answer.json()
    assert emulator.requests_to(r"/notification$") == []
    assert notifications(emulator) == []


def test_oauth_client_id_must_match_the_issuer(emulator, deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    body = webhook_body("0b6e7c6a-0000-4000-8000-00000000beef")
    assert post(deploybot, body, token).status_code == 401


def test_jwt_user_must_match_the_sender(deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="3")
    assert post(deploybot, webhook_body(installed["oauthId"], sender=2), token).status_code == 400


def test_unknown_handler_key_is_404(deploybot, installed, secret):
    token = sign_jwt(installed["oauthId"], secret, sub="2")
    assert post(deploybot, webhook_body(installed["oauthId"]), token, key="nope").status_code == 404


def test_configure_page_needs_a_verified_signed_request(deploybot, installed, secret):
    url = f"{deploybot.url}/addon/configure"
    assert requests.get(url, timeout=5).status_code == 401
    bad = sign_jwt(installed["oauthId"], "wrong-" + "x" * 40)
    assert requests.get(url, params={"signed_request": bad}, timeout=5).status_code == 401
    good = sign_jwt(installed["oauthId"], secret, sub="1", context={"room_id": LOBBY})
    page = requests.get(url, params={"signed_request": good}, timeout=5)
    assert page.status_code == 200
    assert installed["oauthId"] in page.text
    assert "user 1" in page.text
