"""Wire tests for room calls: exact method, path, query and body per HIPCHAT.md §6.3."""

from __future__ import annotations

import pytest

from addon.hipchat import Color, HipChat, MessageFormat
from tests.hipchat.conftest import Stub
from tests.hipchat.wire import Case, check

PAGE = {"items": [], "startIndex": 0, "maxResults": 100, "links": {"self": "x"}}
CREATED = {"id": 46, "links": {"self": "https://api.hipchat.com/v2/room/46"}}
CARD = {"style": "application", "id": "build-1", "title": "Build passed"}


class CardLike:
    """Anything with ``to_json()`` (the framework's Card builder) is accepted as a card."""

    def to_json(self) -> dict[str, str]:
        """The card body."""
        return dict(CARD)


CASES = [
    pytest.param(
        Case(
            lambda hc: hc.room().all(),
            "GET",
            "/v2/room",
            {
                "start-index": "0",
                "max-results": "100",
                "include-private": "true",
                "include-archived": "false",
            },
            reply=PAGE,
        ),
        id="all-defaults",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room().all(5, 20, include_private=False, include_archived=True),
            "GET",
            "/v2/room",
            {
                "start-index": "5",
                "max-results": "20",
                "include-private": "false",
                "include-archived": "true",
            },
            reply=PAGE,
        ),
        id="all-options",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room().create("Ops"),
            "POST",
            "/v2/room",
            body={"name": "Ops", "privacy": "public", "guest_access": False},
            status=201,
            reply=CREATED,
        ),
        id="create-minimal",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room().create(
                "Ops", privacy="private", guest_access=True, owner_user_id=7, topic="t"
            ),
            "POST",
            "/v2/room",
            body={
                "name": "Ops",
                "privacy": "private",
                "guest_access": True,
                "owner_user_id": 7,
                "topic": "t",
            },
            status=201,
            reply=CREATED,
        ),
        id="create-full",
    ),
    pytest.param(
        Case(lambda hc: hc.room(2).get(), "GET", "/v2/room/2", reply={"id": 2}),
        id="get",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).update(
                name="General",
                privacy="public",
                is_archived=False,
                is_guest_accessible=True,
                topic="hello",
                owner_user_id=1,
            ),
            "PUT",
            "/v2/room/2",
            body={
                "name": "General",
                "privacy": "public",
                "is_archived": False,
                "is_guest_accessible": True,
                "topic": "hello",
                "owner": {"id": 1},
            },
            status=204,
        ),
        id="update",
    ),
    pytest.param(
        Case(lambda hc: hc.room(2).delete(), "DELETE", "/v2/room/2", status=204),
        id="delete",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).set_topic("Deploys"),
            "PUT",
            "/v2/room/2/topic",
            body={"topic": "Deploys"},
            status=204,
        ),
        id="set-topic",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).send("Hi"),
            "POST",
            "/v2/room/2/notification",
            body={"message": "Hi", "notify": False, "color": "yellow", "message_format": "html"},
            status=204,
        ),
        id="send-defaults",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).send(
                "Deployed",
                notify=True,
                color=Color.GREEN,
                message_format=MessageFormat.TEXT,
                card=CARD,
                from_="CI",
                attach_to="a1b2",
            ),
            "POST",
            "/v2/room/2/notification",
            body={
                "message": "Deployed",
                "notify": True,
                "color": "green",
                "message_format": "text",
                "card": CARD,
                "from": "CI",
                "attach_to": "a1b2",
            },
            status=204,
        ),
        id="send-full",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).send("x", color="random", card=CardLike()),
            "POST",
            "/v2/room/2/notification",
            body={
                "message": "x",
                "notify": False,
                "color": "random",
                "message_format": "html",
                "card": CARD,
            },
            status=204,
        ),
        id="send-card-object",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).message("hello all"),
            "POST",
            "/v2/room/2/message",
            body={"message": "hello all"},
            status=201,
            reply={"id": "5c1e", "timestamp": "2016-01-01T00:00:00Z"},
        ),
        id="message",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).reply("5c1e", "thanks"),
            "POST",
            "/v2/room/2/reply",
            body={"parentMessageId": "5c1e", "message": "thanks"},
            status=204,
        ),
        id="reply",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).share_link("https://example.com", "look"),
            "POST",
            "/v2/room/2/share/link",
            body={"link": "https://example.com", "message": "look"},
            status=204,
        ),
        id="share-link",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).share_link("https://example.com"),
            "POST",
            "/v2/room/2/share/link",
            body={"link": "https://example.com"},
            status=204,
        ),
        id="share-link-no-message",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).history(),
            "GET",
            "/v2/room/2/history",
            {"start-index": "0", "max-results": "100"},
            reply=PAGE,
        ),
        id="history-defaults",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).history(
                10,
                50,
                date="2016-01-02T00:00:00Z",
                timezone="Europe/Paris",
                reverse=False,
                end_date="2016-01-01T00:00:00Z",
                include_deleted=True,
            ),
            "GET",
            "/v2/room/2/history",
            {
                "start-index": "10",
                "max-results": "50",
                "date": "2016-01-02T00:00:00Z",
                "timezone": "Europe/Paris",
                "reverse": "false",
                "end-date": "2016-01-01T00:00:00Z",
                "include_deleted": "true",
            },
            reply=PAGE,
        ),
        id="history-filters",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).latest(),
            "GET",
            "/v2/room/2/history/latest",
            reply=PAGE,
        ),
        id="latest-defaults",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).latest(
                75, timezone="UTC", not_before="5c1e", include_deleted=False
            ),
            "GET",
            "/v2/room/2/history/latest",
            {
                "max-results": "75",
                "timezone": "UTC",
                "not-before": "5c1e",
                "include_deleted": "false",
            },
            reply=PAGE,
        ),
        id="latest-filters",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).participants(include_offline=True),
            "GET",
            "/v2/room/2/participant",
            {"start-index": "0", "max-results": "100", "include-offline": "true"},
            reply=PAGE,
        ),
        id="participants",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).statistics(),
            "GET",
            "/v2/room/2/statistics",
            reply={"messages_sent": 18432, "last_active": "2014-07-19T02:40:55+00:00"},
        ),
        id="statistics",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).add_member(5),
            "PUT",
            "/v2/room/2/member/5",
            body={},
            status=204,
        ),
        id="add-member",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).add_member("@bob", room_roles=["room_admin"]),
            "PUT",
            "/v2/room/2/member/@bob",
            body={"room_roles": ["room_admin"]},
            status=204,
        ),
        id="add-member-roles",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).delete_member("bob@example.com"),
            "DELETE",
            "/v2/room/2/member/bob@example.com",
            status=204,
        ),
        id="delete-member",
    ),
    pytest.param(
        Case(
            lambda hc: hc.room(2).all_members(3, 30),
            "GET",
            "/v2/room/2/member",
            {"start-index": "3", "max-results": "30"},
            reply=PAGE,
        ),
        id="all-members",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_room_calls_match_the_protocol(stub: Stub, hc: HipChat, case: Case) -> None:
    check(stub, hc, case)
