"""The client and the emulator together: every client call answered as HIPCHAT.md says.

Each side has its own tests against the protocol document; this suite checks that they also
agree with each other, end to end over a real socket (and over TLS).
"""

from __future__ import annotations

import base64

import pytest

from addon.emulator import create_app, make_self_signed_cert, make_ssl_context
from addon.hipchat import (
    Color,
    ConnectionFailedError,
    ForbiddenError,
    HipChat,
    MessageFormat,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from addon.testing import serve

LOBBY, LAB = 1, 2


@pytest.fixture
def hc(emulator) -> HipChat:
    return emulator.client()


def test_rooms_lifecycle(hc):
    created = hc.room().create("Launch", privacy="public", guest_access=True, topic="go")
    assert created.status_code == 201
    room_id = created.data["id"]
    room = hc.room(room_id).expand("owner", "participants").get()
    assert room.data["name"] == "Launch"
    assert room.data["owner"]["name"]
    assert room.rate_limit is not None
    assert room.rate_remaining is not None
    url = hc.room(room_id).get_embedding_url(minimal=True, anonymous=False, welcome_msg="hi")
    assert url is not None
    assert "minimal=1" in url
    assert "welcome_msg=hi" in url
    hc.room(room_id).update(
        name="Launch 2",
        privacy="private",
        is_archived=False,
        is_guest_accessible=False,
        topic="again",
        owner_user_id=1,
    )
    assert hc.room(room_id).get().data["guest_access_url"] is None
    assert hc.room(room_id).get_embedding_url() is None
    hc.room(room_id).set_topic("new topic")
    assert hc.room(room_id).get().data["topic"] == "new topic"
    names = [r["name"] for r in hc.room().iter_all(max_results=1)]
    assert "Launch 2" in names
    assert "Lobby" in names
    assert hc.room(room_id).delete().status_code == 204
    with pytest.raises(NotFoundError) as info:
        hc.room(room_id).get()
    assert info.value.status == 404
    assert info.value.type == "Not Found"


def test_messages_notifications_and_history(hc):
    sent = hc.room(LOBBY).send(
        "<b>built</b>",
        notify=True,
        color=Color.GREEN,
        message_format=MessageFormat.HTML,
        from_="CI",
        card={"style": "application", "id": "b-1", "title": "Build 1", "format": "compact"},
    )
    assert sent.status_code == 204
    assert sent.flood_limit == 30
    posted = hc.room(LOBBY).message("hello @bob")
    assert posted.status_code == 201
    hc.room(LOBBY).reply(posted.data["id"], "a reply")
    hc.room(LOBBY).share_link("https://example.com", "look")
    items = list(hc.room(LOBBY).iter_history(max_results=2))
    notification = next(i for i in items if i["type"] == "notification")
    assert notification["from"] == "CI"
    assert notification["color"] == "green"
    assert notification["card"]["id"] == "b-1"
    texts = [i["message"] for i in items]
    assert "hello @bob" in texts
    assert "a reply" in texts
    latest = hc.room(LOBBY).latest(max_results=2)
    assert len(latest.data["items"]) == 2
    assert hc.room(LOBBY).statistics().data["messages_sent"] >= 4
    assert hc.room(LOBBY).participants().data["items"]


def test_members_and_webhooks(hc):
    hc.room(LAB).add_member(3)
    members = {m["id"] for m in hc.room(LAB).iter_members()}
    assert 3 in members
    hc.room(LAB).delete_member(3)
    assert 3 not in {m["id"] for m in hc.room(LAB).all_members().data["items"]}

    created = (
        hc.room(LOBBY)
        .webhook()
        .create("https://addon.example.com/hook", "room_message", pattern="^/x", name="x")
    )
    assert created.status_code == 201
    hook_id = created.data["id"]
    assert hc.room(LOBBY).webhook(hook_id).get().data["pattern"] == "^/x"
    assert hook_id in [h["id"] for h in hc.room(LOBBY).webhook().iter_all()]
    assert hc.room(LOBBY).webhook(hook_id).delete().status_code == 204
    assert hook_id not in [h["id"] for h in hc.room(LOBBY).webhook().all().data["items"]]


def test_users(hc):
    created = hc.user().create("Dan Dev", "dan@example.com", mention_name="dan")
    user_id = created.data["id"]
    assert hc.user("@dan").get().data["email"] == "dan@example.com"
    hc.user(user_id).update(
        name="Dan Developer", email="dan@example.com", mention_name="dan", title="Dev"
    )
    assert hc.user("dan@example.com").get().data["name"] == "Dan Developer"
    assert hc.user(user_id).send("psst").status_code == 204
    assert hc.user(user_id).upload_photo(base64.b64decode(PNG)).status_code == 204
    assert hc.user(user_id).delete_photo().status_code == 204
    assert "Dan Developer" in [u["name"] for u in hc.user().iter_all(max_results=1)]
    assert hc.user(user_id).delete().status_code == 204


def test_emoticons(hc):
    shortcuts = [e["shortcut"] for e in hc.emoticon().iter_all(max_results=1)]
    assert "shipit" in shortcuts
    assert hc.emoticon("shipit").get().data["shortcut"] == "shipit"


def test_sessions_and_client_credentials(emulator):
    oauth_id, secret = emulator.state.create_client(["send_notification", "view_room"], group_id=1)
    hc = HipChat(base_url=emulator.api_url)
    granted = hc.session().create_oauth(
        oauth_id, secret, "client_credentials", scope=["send_notification"]
    )
    token = granted.data["access_token"]
    assert granted.data["group_id"] == 1
    assert granted.data["expires_in"] > 0
    hc.token = token
    info = hc.session(token).get()
    assert info.data["access_token"] == token
    personal = (
        HipChat(base_url=emulator.api_url)
        .session()
        .create("password", username="bob@example.com", password="bob-password", scope="view_group")
    )
    assert personal.data["access_token"]
    assert hc.session(token).delete().status_code == 204
    with pytest.raises(UnauthorizedError, match="Invalid OAuth session"):
        hc.room(LOBBY).send("after revocation")
    with pytest.raises(UnauthorizedError):
        HipChat(base_url=emulator.api_url).session().create_oauth(oauth_id, "wrong")


def test_scope_and_rate_limit_errors():
    app = create_app({"EMULATOR_RATE_LIMIT": 3})
    live = serve(app)
    try:
        from addon.testing import EmulatorHandle

        emulator = EmulatorHandle(live)
        viewer = emulator.client("view_group")
        with pytest.raises(ForbiddenError, match="requires one of the following scopes"):
            viewer.room(LOBBY).send("no scope")
        viewer.max_retries = 0
        viewer.room(LOBBY).get()
        viewer.room(LOBBY).get()
        with pytest.raises(TooManyRequestsError) as info:
            viewer.room(LOBBY).get()
        assert info.value.response.rate_remaining == 0
        assert info.value.response.rate_reset is not None
    finally:
        live.stop()


def test_https_with_a_verified_generated_certificate(tmp_path):
    cert, key = make_self_signed_cert(tmp_path)
    live = serve(create_app(), ssl_context=make_ssl_context(cert, key))
    try:
        from addon.testing import EmulatorHandle

        token = EmulatorHandle(live).admin("POST", "tokens", json={}, verify=cert).json()
        hc = HipChat(token=token["access_token"], base_url=f"{live.url}/v2", verify=cert)
        room = hc.room(LOBBY).get()
        assert room.data["links"]["self"] == f"{live.url}/v2/room/{LOBBY}"
        with pytest.raises(ConnectionFailedError):
            HipChat(token="x", base_url=f"{live.url}/v2").room(LOBBY).get()
    finally:
        live.stop()


PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)
