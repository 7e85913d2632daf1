"""Paging: every ``iter_*`` follows ``links.next`` until it is absent (HIPCHAT.md §6.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from addon.hipchat import HipChat, HipChatError, NotFoundError
from tests.hipchat.conftest import Stub


def page(items: list[Any], start: int, size: int, next_url: str | None) -> dict[str, Any]:
    """One collection page with an optional ``links.next``."""
    links = {"self": "ignored"}
    if next_url:
        links["next"] = next_url
    return {"items": items, "startIndex": start, "maxResults": size, "links": links}


def script_three_pages(stub: Stub, path: str) -> None:
    """Queue five items over three pages of two, linked by absolute next URLs."""
    base = f"{stub.url}/v2/{path}"
    stub.reply(200, page([{"id": 1}, {"id": 2}], 0, 2, f"{base}?start-index=2&max-results=2"))
    stub.reply(200, page([{"id": 3}, {"id": 4}], 2, 2, f"{base}?start-index=4&max-results=2"))
    stub.reply(200, page([{"id": 5}], 4, 2, None))


ITERATORS = [
    pytest.param(lambda hc: hc.room().iter_all(max_results=2), "room", {
        "include-private": "true", "include-archived": "false"}, id="rooms"),
    pytest.param(lambda hc: hc.user().iter_all(max_results=2), "user", {
        "include-guests": "false", "include-deleted": "false"}, id="users"),
    pytest.param(lambda hc: hc.room(7).iter_members(max_results=2), "room/7/member", {},
                 id="members"),
    pytest.param(lambda hc: hc.room(7).iter_participants(max_results=2), "room/7/participant",
                 {}, id="participants"),
    pytest.param(lambda hc: hc.room(7).webhook().iter_all(max_results=2), "room/7/webhook", {},
                 id="webhooks"),
    pytest.param(lambda hc: hc.room(7).iter_history(max_results=2, reverse=False),
                 "room/7/history", {"reverse": "false"}, id="history"),
    pytest.param(lambda hc: hc.emoticon().iter_all(max_results=2), "emoticon", {"type": "all"},
                 id="emoticons"),
]  # fmt: skip


@pytest.mark.parametrize(("make_iter", "path", "extra"), ITERATORS)
def test_iterators_follow_next_links(
    stub: Stub, hc: HipChat, make_iter: Callable, path: str, extra: dict
) -> None:
    script_three_pages(stub, path)
    items = make_iter(hc)
    assert stub.seen == []  # lazy: nothing is fetched before iterating
    assert [item["id"] for item in items] == [1, 2, 3, 4, 5]
    assert [s.path for s in stub.seen] == [f"/v2/{path}"] * 3
    assert stub.seen[0].params == {"start-index": "0", "max-results": "2", **extra}
    assert stub.seen[1].params == {"start-index": "2", "max-results": "2"}
    assert stub.seen[2].params == {"start-index": "4", "max-results": "2"}
    assert all(s.method == "GET" for s in stub.seen)
    assert all(s.headers["Authorization"] == "Bearer tok-123" for s in stub.seen)


def test_single_page_collection(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, page([{"id": 1}], 0, 100, None))
    assert list(hc.room().iter_all()) == [{"id": 1}]
    assert len(stub.seen) == 1


def test_expand_is_kept_on_next_pages(stub: Stub, hc: HipChat) -> None:
    base = f"{stub.url}/v2/room"
    stub.reply(200, page([{"id": 1}], 0, 1, f"{base}?start-index=1&max-results=1"))
    stub.reply(200, page([{"id": 2}], 1, 1, f"{base}?start-index=2&max-results=1&expand=items"))
    stub.reply(200, page([{"id": 3}], 2, 1, None))
    ids = [r["id"] for r in hc.room().expand("items").iter_all(max_results=1)]
    assert ids == [1, 2, 3]
    assert [s.query.get("expand") for s in stub.seen] == [["items"], ["items"], ["items"]]


def test_relative_next_link_is_resolved(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, page([{"id": 1}], 0, 1, "/v2/user?start-index=1"))
    stub.reply(200, page([{"id": 2}], 1, 1, None))
    assert [u["id"] for u in hc.user().iter_all()] == [1, 2]
    assert stub.seen[1].path == "/v2/user"
    assert stub.seen[1].params == {"start-index": "1"}


def test_a_next_link_seen_before_stops_the_loop(stub: Stub, hc: HipChat) -> None:
    again = f"{stub.url}/v2/emoticon?start-index=1"
    stub.reply(200, page([{"id": 1}], 0, 1, again))
    stub.reply(200, page([{"id": 2}], 1, 1, again))
    assert [e["id"] for e in hc.emoticon().iter_all()] == [1, 2]
    assert len(stub.seen) == 2


def test_error_mid_way_is_typed(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, page([{"id": 1}], 0, 1, f"{stub.url}/v2/room?start-index=1"))
    stub.reply(404, {"error": {"code": 404, "message": "gone", "type": "Not Found"}})
    rooms = hc.room().iter_all()
    assert next(rooms) == {"id": 1}
    with pytest.raises(NotFoundError):
        next(rooms)


def test_a_non_collection_is_an_error(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, {"id": 1})
    stub.reply(200, ["not", "a", "collection"])
    with pytest.raises(HipChatError, match="items"):
        list(hc.room().iter_all())
    with pytest.raises(HipChatError, match="items"):
        list(hc.room().iter_all())
