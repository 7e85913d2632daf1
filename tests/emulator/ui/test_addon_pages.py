"""/addons and the add-on views over real sockets, against the recording fake add-on: install
and uninstall from the page, failures in words, the signed_request on frames, and glances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from addon.testing import EmulatorHandle, LiveServer
from tests.emulator.fake_addon import FakeAddon
from tests.emulator.ui.glance_addon import GlanceAddon, serve_glance_addon

LOBBY = 1


@pytest.fixture
def fake(serve_app: Callable[..., LiveServer]) -> GlanceAddon:
    return serve_glance_addon(serve_app)


def post(emulator: EmulatorHandle, path: str, **data: Any) -> Any:
    return emulator.http.post(f"{emulator.url}{path}", data=data, allow_redirects=True)


def install(emulator: EmulatorHandle, fake: FakeAddon, room: int | str = LOBBY) -> str:
    response = post(emulator, "/addons/install", descriptor_url=fake.descriptor_url, room=room)
    assert response.status_code == 200, response.text
    assert "Installed Fake Add-on" in response.text
    [installation] = emulator.state.addons.installations.all()
    return str(installation.oauth_id)


def test_install_from_the_page_lists_scopes_webhooks_and_deliveries(
    emulator: EmulatorHandle, fake: FakeAddon
) -> None:
    oauth_id = install(emulator, fake)
    assert fake.installs[0]["roomId"] == LOBBY
    emulator.say(LOBBY, "/echo hi")
    emulator.wait_idle()
    html = emulator.http.get(f"{emulator.url}/addons").text
    assert f'id="inst-{oauth_id}"' in html
    assert "send_notification" in html
    assert "view_room" in html
    assert "room_message" in html
    assert "<code>^/echo</code>" in html
    assert "delivered" in html
    assert " ms</td>" in html
    assert "Lobby" in emulator.http.get(f"{emulator.url}/").text.split("Secret Lab")[0]


def test_global_install_from_the_page(emulator: EmulatorHandle, fake: FakeAddon) -> None:
    response = post(emulator, "/addons/install", descriptor_url=fake.descriptor_url, room="")
    assert "in the whole group" in response.text
    assert "roomId" not in fake.installs[0]


def test_a_refused_install_keeps_the_form_and_says_why(
    emulator: EmulatorHandle, fake: FakeAddon
) -> None:
    fake.install_answer = (403, "this group is not allowed")
    response = post(emulator, "/addons/install", descriptor_url=fake.descriptor_url, room=LOBBY)
    assert response.status_code == 502
    assert "answered HTTP 403: this group is not allowed" in response.text
    assert f'value="{fake.descriptor_url}"' in response.text
    assert emulator.state.addons.installations.all() == []
    missing = post(emulator, "/addons/install", descriptor_url="", room="")
    assert missing.status_code == 400
    assert "descriptor URL" in missing.text


def test_a_failing_webhook_is_shown_in_words(emulator: EmulatorHandle, fake: FakeAddon) -> None:
    install(emulator, fake)
    fake.replies["echo"] = (500, "database is down")
    emulator.say(LOBBY, "/echo hi")
    emulator.wait_idle()
    html = emulator.http.get(f"{emulator.url}/addons").text
    assert 'class="failed"' in html
    assert "answered HTTP 500: database is down" in html


def test_uninstall_reports_what_the_addon_answered(
    emulator: EmulatorHandle, fake: FakeAddon
) -> None:
    oauth_id = install(emulator, fake)
    fake.delete_answer = (500, "cannot forget")
    response = post(emulator, f"/addons/{oauth_id}/uninstall")
    assert response.status_code == 200
    assert f"Uninstalled com.example.fake ({oauth_id})" in response.text
    assert "The add-on did not acknowledge" in response.text
    assert "HTTP 500: cannot forget" in response.text
    assert fake.uninstalls[0]["oauth_id"] == oauth_id
    again = post(emulator, f"/addons/{oauth_id}/uninstall")
    assert again.status_code == 404
    assert "Installation not found" in again.text


def test_frames_get_a_fresh_signed_request(emulator: EmulatorHandle, fake: FakeAddon) -> None:
    oauth_id = install(emulator, fake)
    secret = fake.secrets[oauth_id]
    seen = []
    for _ in range(2):
        response = emulator.http.get(
            f"{emulator.url}/addons/{oauth_id}/open/configure",
            params={"room": LOBBY, "user": 3},
            allow_redirects=False,
        )
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith(f"{fake.url}/configure?signed_request=")
        token = parse_qs(urlsplit(location).query)["signed_request"][0]
        claims = jwt.decode(token, secret, algorithms=["HS256"])
        assert set(claims) == {"iss", "sub", "prn", "iat", "exp", "jti", "context"}
        assert (claims["iss"], claims["sub"], claims["prn"]) == (oauth_id, "3", "3")
        assert claims["context"] == {"room_id": LOBBY, "user_tz": "Europe/Berlin"}
        assert 0 < claims["exp"] - claims["iat"] <= 3600
        seen.append(claims["jti"])
    assert seen[0] != seen[1]
    panel = emulator.http.get(
        f"{emulator.url}/addons/{oauth_id}/open/fake.panel", allow_redirects=False
    )
    assert panel.headers["Location"].startswith(f"{fake.url}/panel?signed_request=")
    unknown = emulator.http.get(f"{emulator.url}/addons/{oauth_id}/open/nope")
    assert unknown.status_code == 404
    assert "has no page" in unknown.text


def test_configure_page_frames_the_addon(emulator: EmulatorHandle, fake: FakeAddon) -> None:
    oauth_id = install(emulator, fake)
    html = emulator.http.get(f"{emulator.url}/addons/{oauth_id}/configure?room=1").text
    assert f'src="/addons/{oauth_id}/open/configure?room=1&amp;user=1"' in html
    room = emulator.http.get(f"{emulator.url}/rooms/{LOBBY}").text
    assert f'id="configure-{oauth_id}"' in room
    assert "Fake Add-on" in room


def test_glances_are_fetched_with_a_jwt_and_cors_is_respected(
    emulator: EmulatorHandle, fake: GlanceAddon
) -> None:
    oauth_id = install(emulator, fake)
    data = emulator.http.get(f"{emulator.url}/rooms/{LOBBY}/glances?user=2").json()
    by_key = {g["key"]: g for g in data["items"]}
    assert list(by_key) == ["fake.builds", "fake.nocors", "fake.broken"]  # by weight
    builds = by_key["fake.builds"]
    assert builds["label"] == "<b>4</b> builds"
    assert builds["lozenge"] == {"label": "GOOD", "type": "success"}
    assert builds["target"] == "fake.panel"
    assert builds["oauth_id"] == oauth_id
    [seen] = fake.glance_requests
    assert seen["origin"] == emulator.url
    claims = jwt.decode(
        seen["args"]["signed_request"], fake.secrets[oauth_id], algorithms=["HS256"]
    )
    assert claims["sub"] == "2"
    assert claims["context"]["room_id"] == LOBBY
    assert "no CORS header" in by_key["fake.nocors"]["error"]
    assert by_key["fake.nocors"]["label"] is None
    assert "answered HTTP 500: kaput" in by_key["fake.broken"]["error"]
    assert emulator.http.get(f"{emulator.url}/rooms/2/glances").json() == {"items": []}
