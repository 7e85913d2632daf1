"""Wire tests for room webhooks (HIPCHAT.md §6.5) and emoticons (§6.8)."""

from __future__ import annotations

import pytest

from addon.hipchat import HipChat
from tests.hipchat.conftest import Stub
from tests.hipchat.wire import Case, check

PAGE = {"items": [], "startIndex": 0, "maxResults": 100, "links": {"self": "x"}}
HOOK = {"id": 1, "links": {"self": "https://api.hipchat.com/v2/room/2/webhook/1"}}

CASES = [
    pytest.param(
        Case(
            lambda hc: hc.room(2).webhook().all(),
            "GET",
            "/v2/room/2/webhook",
            {"start-index": "0", "max-results": "100"},
            reply=PAGE,
        ),
        id="webhook-all",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).webhook().all(10, 5),
            "GET",
            "/v2/room/2/webhook",
            {"start-index": "10", "max-results": "5"},
            reply=PAGE,
        ),
        id="webhook-all-paged",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).webhook(1).get(),
            "GET",
            "/v2/room/2/webhook/1",
            reply={"id": 1, "event": "room_message"},
        ),
        id="webhook-get",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).webhook(1).expand("room", "creator").get(),
            "GET",
            "/v2/room/2/webhook/1",
            {"expand": "room,creator"},
            reply={"id": 1},
        ),
        id="webhook-get-expand",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).webhook(1).delete(),
            "DELETE",
            "/v2/room/2/webhook/1",
            status=204,
        ),
        id="webhook-delete",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).webhook().create("https://addon.example/hook", "room_enter"),
            "POST",
            "/v2/room/2/webhook",
            body={"url": "https://addon.example/hook", "event": "room_enter"},
            status=201,
            reply=HOOK,
        ),
        id="webhook-create-minimal",
    ),
    pytest.param(
        Case(
            lambda hc: (
                hc.room("Ops Room")
                .webhook()
                .create(
                    "https://addon.example/hook",
                    "room_message",
                    pattern="^/deploy",
                    name="deploy",
                    key="deploy-hook",
                    authentication="jwt",
                )
            ),
            "POST",
            "/v2/room/Ops Room/webhook",
            body={
                "url": "https://addon.example/hook",
                "event": "room_message",
                "pattern": "^/deploy",
                "name": "deploy",
                "key": "deploy-hook",
                "authentication": "jwt",
            },
            status=201,
            reply=HOOK,
        ),
        id="webhook-create-full",
    ),
    pytest.param(
        Case(
            lambda hc: hc.emoticon().all(),
            "GET",
            "/v2/emoticon",
            {"start-index": "0", "max-results": "100", "type": "all"},
            reply=PAGE,
        ),
        id="emoticon-all",
    ),
    pytest.param(
        Case(
            lambda hc: hc.emoticon().all(100, 50, "group"),
            "GET",
            "/v2/emoticon",
            {"start-index": "100", "max-results": "50", "type": "group"},
            reply=PAGE,
        ),
        id="emoticon-all-group",
    ),
    pytest.param(
        Case(
            lambda hc: hc.emoticon(34).get(),
            "GET",
            "/v2/emoticon/34",
            reply={"id": 34, "shortcut": "shrug"},
        ),
        id="emoticon-get-id",
    ),
    pytest.param(
        Case(
            lambda hc: hc.emoticon("shrug").get(),
            "GET",
            "/v2/emoticon/shrug",
            reply={"id": 34, "shortcut": "shrug"},
        ),
        id="emoticon-get-shortcut",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_calls_match_the_protocol(stub: Stub, hc: HipChat, case: Case) -> None:
    check(stub, hc, case)


def test_webhook_create_needs_url_and_event(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(ValueError, match="url and an event"):
        hc.room(2).webhook().create("", "room_message")
    assert stub.seen == []


def test_webhook_get_needs_an_id(hc: HipChat) -> None:
    with pytest.raises(ValueError, match="no id"):
        hc.room(2).webhook().get()


def test_emoticon_type_is_validated(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(ValueError, match="animated"):
        hc.emoticon().all(type="animated")
    assert stub.seen == []
