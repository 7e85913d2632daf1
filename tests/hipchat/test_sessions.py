"""Wire tests for OAuth sessions: token generation, session info and revocation (§3)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from addon.hipchat import HipChat, UnauthorizedError
from tests.hipchat.conftest import TOKEN, Stub

GRANTED = {
    "access_token": "q0M8p3UrBL96uHb79x4qdR2r6oEnCeajcg123456",
    "expires_in": 3599,
    "group_id": 123456,
    "group_name": "TestGroup",
    "scope": "send_notification view_room",
    "token_type": "bearer",
}


def basic(user: str, password: str) -> str:
    """The expected HTTP Basic header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_create_oauth_uses_basic_auth_and_a_form(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, GRANTED)
    response = hc.session().create_oauth(
        "oauth-id", "s3cret", scope=["send_notification", "view_room"]
    )
    seen = stub.last
    assert (seen.method, seen.path) == ("POST", "/v2/oauth/token")
    assert seen.headers["Authorization"] == basic("oauth-id", "s3cret")
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen.form == {
        "grant_type": "client_credentials",
        "scope": "send_notification view_room",
    }
    assert seen.params == {}
    assert response.status_code == 200
    assert response.data == GRANTED


def test_create_oauth_posts_to_the_capabilities_token_url(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, GRANTED)
    hc.session().create_oauth(
        "oauth-id", "s3cret", "client_credentials", scope="admin_room", token_url=stub.url + "/t"
    )
    assert stub.last.path == "/t"
    assert stub.last.form == {"grant_type": "client_credentials", "scope": "admin_room"}


def test_create_oauth_without_scope_and_with_other_grant(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, GRANTED)
    hc.session().create_oauth("id", "secret", "password", username="a@b.c", password="pw")
    assert stub.last.form == {"grant_type": "password", "username": "a@b.c", "password": "pw"}
    assert stub.last.headers["Authorization"] == basic("id", "secret")


def test_create_sends_json_with_given_options(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, GRANTED)
    response = hc.session().create(
        "authorization_code", code="abc", redirect_uri="https://a.example/cb", scope="view_group"
    )
    seen = stub.last
    assert (seen.method, seen.path) == ("POST", "/v2/oauth/token")
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.json == {
        "grant_type": "authorization_code",
        "code": "abc",
        "redirect_uri": "https://a.example/cb",
        "scope": "view_group",
    }
    assert response.data == GRANTED


@pytest.mark.parametrize(
    ("options", "body"),
    [
        (
            {"username": "a@b.c", "password": "pw", "scope": ["x", "y"]},
            {"grant_type": "personal", "username": "a@b.c", "password": "pw", "scope": "x y"},
        ),
        (
            {"refresh_token": "r1"},
            {"grant_type": "personal", "refresh_token": "r1"},
        ),
    ],
)
def test_create_options_are_passed_through(
    stub: Stub, hc: HipChat, options: dict, body: dict
) -> None:
    hc.session().create("personal", **options)
    assert stub.last.json == body


def test_create_refuses_unknown_fields(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(TypeError, match="colour"):
        hc.session().create("personal", colour="red")
    with pytest.raises(ValueError, match="oauth_id"):
        hc.session().create_oauth("", "secret")
    assert stub.seen == []


def test_get_and_delete_session(stub: Stub, hc: HipChat) -> None:
    info = {"access_token": "abc", "expires_in": 3421, "scopes": ["view_room"]}
    stub.reply(200, info).reply(204)
    assert hc.session("abc").get().data == info
    assert (stub.last.method, stub.last.path) == ("GET", "/v2/oauth/token/abc")
    assert stub.last.headers["Authorization"] == f"Bearer {TOKEN}"
    response = hc.session("abc").delete()
    assert (stub.last.method, stub.last.path) == ("DELETE", "/v2/oauth/token/abc")
    assert response.status_code == 204
    assert response.data is None


def test_session_get_expands(stub: Stub, hc: HipChat) -> None:
    hc.session("abc").expand("owner", "client.room").get()
    assert stub.last.params == {"expand": "owner,client.room"}


def test_session_without_client_token_authenticates_as_itself(
    stub: Stub, make_client: Callable[..., HipChat]
) -> None:
    client = make_client(token=None)
    client.session("abc").get()
    assert stub.last.headers["Authorization"] == "Bearer abc"


def test_token_error_is_typed(stub: Stub, hc: HipChat) -> None:
    stub.reply(
        401,
        {"error": {"code": 401, "message": "Invalid OAuth session", "type": "Unauthorized"}},
    )
    with pytest.raises(UnauthorizedError) as info:
        hc.session().create_oauth("id", "wrong")
    assert info.value.message == "Invalid OAuth session"
    assert len(stub.seen) == 1
