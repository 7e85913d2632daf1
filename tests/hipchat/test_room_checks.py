"""Room path quoting, the embedding URL (HIPCHAT.md §6.11) and argument validation."""

from __future__ import annotations

import pytest

from addon.hipchat import HipChat
from tests.hipchat.conftest import Stub


def test_room_names_are_quoted_as_one_path_segment(stub: Stub, hc: HipChat) -> None:
    stub.reply(200, {"id": 9})
    hc.room("Dev Ops/Team #1?").get()
    assert stub.last.raw_path == "/v2/room/Dev%20Ops%2FTeam%20%231%3F"
    assert stub.last.params == {}


def test_room_name_with_at_sign_is_escaped(stub: Stub, hc: HipChat) -> None:
    hc.room("a@b").get()
    assert stub.last.raw_path == "/v2/room/a%40b"


def test_member_mention_keeps_at_and_escapes_the_rest(stub: Stub, hc: HipChat) -> None:
    hc.room("Room 1").add_member("@bob smith")
    assert stub.last.raw_path == "/v2/room/Room%201/member/@bob%20smith"


@pytest.mark.parametrize(
    ("guest_url", "kwargs", "expected"),
    [
        (
            "https://www.hipchat.com/gAbC123",
            {},
            "https://www.hipchat.com/gAbC123?minimal=1&anonymous=0&timezone=UTC&welcome_msg=",
        ),
        (
            "https://www.hipchat.com/gAbC123",
            {
                "minimal": False,
                "anonymous": True,
                "timezone": "America/New_York",
                "welcome_msg": "Hi there & welcome",
            },
            "https://www.hipchat.com/gAbC123?minimal=0&anonymous=1"
            "&timezone=America%2FNew_York&welcome_msg=Hi+there+%26+welcome",
        ),
    ],
)
def test_embedding_url_from_guest_access_url(
    stub: Stub, hc: HipChat, guest_url: str, kwargs: dict, expected: str
) -> None:
    stub.reply(200, {"id": 2, "guest_access_url": guest_url})
    assert hc.room(2).get_embedding_url(**kwargs) == expected
    assert (stub.last.method, stub.last.path) == ("GET", "/v2/room/2")


@pytest.mark.parametrize("guest_url", [None, ""])
def test_embedding_url_is_none_without_guest_access(
    stub: Stub, hc: HipChat, guest_url: str | None
) -> None:
    stub.reply(200, {"id": 2, "guest_access_url": guest_url})
    assert hc.room(2).get_embedding_url() is None


def test_room_calls_need_an_id(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(ValueError, match="no id"):
        hc.room().get()
    with pytest.raises(ValueError, match="no id"):
        hc.room().webhook()
    assert stub.seen == []


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda hc: hc.room(2).send("x", color="pink"), "pink"),
        (lambda hc: hc.room(2).send("x", message_format="markdown"), "markdown"),
        (lambda hc: hc.room().create("x", privacy="secret"), "secret"),
        (lambda hc: hc.room().all(max_results=1001), "max_results"),
        (lambda hc: hc.room().all(start_index=-1), "start_index"),
        (lambda hc: hc.room(2).history(end_date="2016-01-01"), "end_date"),
    ],
)
def test_bad_arguments_raise_before_any_request(hc: HipChat, stub: Stub, call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call(hc)
    assert stub.seen == []


def test_card_must_be_a_mapping_or_builder(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(TypeError):
        hc.room(2).send("x", card="not a card")
    assert stub.seen == []
