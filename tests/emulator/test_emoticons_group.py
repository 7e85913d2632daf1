"""Emoticons (HIPCHAT.md §6.8) and the group (§6.9)."""

from __future__ import annotations

import base64

import requests

from tests.emulator.helpers import Hub, assert_envelope


def test_emoticons_list_and_type_filter(hub: Hub, admin_token: str) -> None:
    data = hub.api("GET", "emoticon", admin_token).json()
    assert [e["shortcut"] for e in data["items"]] == ["allthethings", "awthanks", "shipit"]
    assert set(data["items"][0]) == {"id", "shortcut", "url", "links"}
    assert data["items"][0]["links"]["self"] == f"{hub.url}/v2/emoticon/1"
    group = hub.api("GET", "emoticon?type=group", admin_token).json()["items"]
    assert [e["shortcut"] for e in group] == ["shipit"]
    assert_envelope(hub.api("GET", "emoticon?type=weird", admin_token), 400)
    paged = hub.api("GET", "emoticon?max-results=1&start-index=1", admin_token).json()
    assert [e["id"] for e in paged["items"]] == [2]
    assert "next" in paged["links"]


def test_emoticon_by_id_or_shortcut(hub: Hub, admin_token: str) -> None:
    by_id = hub.api("GET", "emoticon/3", admin_token).json()
    by_name = hub.api("GET", "emoticon/shipit", admin_token).json()
    assert by_id == by_name
    assert (by_id["width"], by_id["height"], by_id["type"]) == (40, 30, "group")
    assert by_id["creator"]["id"] == 1
    image = requests.get(by_id["url"], timeout=5)
    assert image.status_code == 200
    assert image.content.startswith(b"\x89PNG")
    assert_envelope(hub.api("GET", "emoticon/nope", admin_token), 404, "Emoticon not found")


def test_group_and_statistics(hub: Hub, admin_token: str) -> None:
    group = hub.api("GET", "group/1", admin_token).json()
    assert group["id"] == 1
    assert group["name"] == "Emulated Group"
    assert group["links"]["self"] == f"{hub.url}/v2/group/1"
    assert group["owner"]["id"] == 1
    stats = hub.api("GET", "group/1/statistics", admin_token).json()
    assert stats["users"] == 3
    assert_envelope(hub.api("GET", "group/2", admin_token), 404)


def test_group_avatar(hub: Hub, admin_token: str) -> None:
    body = {"avatar": base64.b64encode(b"GIF89a...").decode()}
    assert hub.api("PUT", "group/1/avatar", admin_token, json=body).status_code == 204
    redirect = hub.api("GET", "group/1/avatar", admin_token, allow_redirects=False)
    assert redirect.status_code == 302
    assert requests.get(redirect.headers["Location"], timeout=5).content == b"GIF89a..."
    assert hub.api("DELETE", "group/1/avatar", admin_token).status_code == 204
