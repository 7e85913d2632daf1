"""HipChat's capabilities document (HIPCHAT.md §1.8, §8) as the emulator serves it."""

from __future__ import annotations

import requests

from tests.emulator.helpers import Hub

NINE_SCOPES = {
    "admin_group",
    "admin_room",
    "import_data",
    "manage_rooms",
    "send_message",
    "send_notification",
    "view_group",
    "view_messages",
    "view_room",
}


def test_links_self_echoes_the_exact_url_requested(hub: Hub) -> None:
    for host in ("127.0.0.1", "localhost"):
        url = f"http://{host}:{hub.live.port}/v2/capabilities"
        doc = requests.get(url, timeout=5).json()
        assert doc["links"]["self"] == url
        base = f"http://{host}:{hub.live.port}/"
        assert doc["links"]["api"] == base + "v2"
        assert doc["links"]["homepage"] == base
        caps = doc["capabilities"]
        assert caps["oauth2Provider"]["tokenUrl"] == base + "v2/oauth/token"
        assert caps["hipchatApiProvider"]["url"] == base + "v2/"


def test_links_self_keeps_double_slash_and_query_as_sent(hub: Hub) -> None:
    url = f"{hub.url}/v2//capabilities?probe=1"
    doc = requests.get(url, timeout=5).json()
    assert doc["links"]["self"] == url


def test_available_scopes_lists_all_nine(hub: Hub) -> None:
    doc = hub.api("GET", "capabilities").json()
    scopes = doc["capabilities"]["hipchatApiProvider"]["availableScopes"]
    assert set(scopes) == NINE_SCOPES
    for scope_id, scope in scopes.items():
        assert scope["id"] == scope_id
        assert scope["name"]
        assert scope["description"]
    assert doc["key"] == "hipchat"
    assert doc["name"] == "HipChat"


def test_capabilities_needs_no_auth_but_has_rate_headers(hub: Hub) -> None:
    response = hub.api("GET", "capabilities")
    assert response.status_code == 200
    for name in ("X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"):
        assert response.headers[name].isdigit()


def test_descriptor_schema(hub: Hub) -> None:
    for draft, dialect in (("v2", "draft-02"), ("v4", "draft-04")):
        schema = hub.api("GET", "capabilities/addon/schema", params={"draft": draft}).json()
        assert dialect in schema["$schema"]
        assert set(schema["required"]) >= {"key", "name", "links", "capabilities"}
