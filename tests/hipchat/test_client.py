"""The transport: base URL joining, auth headers, token handling, expansion and thread safety."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from addon.hipchat import DEFAULT_BASE_URL, HipChat, RoomResource
from tests.hipchat.conftest import TOKEN, Stub


@pytest.mark.parametrize("suffix", ["/v2", "/v2/", "/v2//"])
def test_base_url_with_or_without_trailing_slash(
    stub: Stub, make_client: Callable[..., HipChat], suffix: str
) -> None:
    client = make_client(base_url=stub.url + suffix)
    assert client.base_url == stub.url + "/v2/"
    client.room(1).get()
    assert stub.last.raw_path == "/v2/room/1"


def test_server_style_base_url_with_a_path_prefix(
    stub: Stub, make_client: Callable[..., HipChat]
) -> None:
    client = make_client(base_url=stub.url + "/hipchat/api/v2")
    client.user("@bob").get()
    assert stub.last.raw_path == "/hipchat/api/v2/user/@bob"


def test_default_base_url_is_hipchat_cloud() -> None:
    client = HipChat("t")
    assert client.base_url == DEFAULT_BASE_URL == "https://api.hipchat.com/v2/"
    assert client.url_for("room/1") == "https://api.hipchat.com/v2/room/1"
    assert client.url_for("/room/1") == "https://api.hipchat.com/v2/room/1"
    assert client.url_for("https://other/x?y=1") == "https://other/x?y=1"
    client.close()


def test_base_url_is_normalised_on_assignment() -> None:
    client = HipChat()
    client.base_url = "https://hipchat.example.com/v2"
    assert client.base_url == "https://hipchat.example.com/v2/"
    with pytest.raises(ValueError, match="absolute"):
        client.base_url = "hipchat.example.com/v2"
    with pytest.raises(ValueError, match="absolute"):
        HipChat(base_url="ftp://x/v2/")


def test_bearer_token_and_json_headers(stub: Stub, hc: HipChat) -> None:
    hc.room(1).set_topic("t")
    headers = stub.last.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert "auth_token" not in stub.last.params


def test_token_is_readable_and_assignable(stub: Stub, hc: HipChat) -> None:
    assert hc.token == TOKEN
    hc.token = "other"
    hc.room(1).get()
    assert stub.last.headers["Authorization"] == "Bearer other"
    hc.token = None
    hc.room(1).get()
    assert "Authorization" not in stub.last.headers


def test_no_token_sends_no_authorization(stub: Stub, make_client: Callable[..., HipChat]) -> None:
    client = make_client(token=None)
    assert client.token is None
    client.room().all()
    assert "Authorization" not in stub.last.headers


def test_every_post_and_put_has_a_json_content_type(stub: Stub, hc: HipChat) -> None:
    calls = [
        lambda: hc.room(1).set_topic("x"),
        lambda: hc.room(1).add_member(2),
        lambda: hc.room(1).message("m"),
        lambda: hc.user(1).upload_photo(b"x"),
        lambda: hc.room().create("r"),
    ]
    for call in calls:
        call()
        assert stub.last.method in ("POST", "PUT")
        assert stub.last.headers["Content-Type"] == "application/json"


def test_expand_variants_build_the_same_query(stub: Stub, hc: HipChat) -> None:
    room = hc.room(100)
    for handle in (
        room.expand("owner", "participants"),
        room.expand(["owner", "participants"]),
        room.expand("owner").expand("participants"),
        room.expand("owner,participants", "owner"),
    ):
        handle.get()
        assert stub.last.params == {"expand": "owner,participants"}
        assert stub.last.raw_query == "expand=owner%2Cparticipants"
    room.expand("owner").get()
    assert stub.last.params == {"expand": "owner"}


def test_expand_joins_other_query_params(stub: Stub, hc: HipChat) -> None:
    hc.room().expand("items").all(max_results=10)
    assert stub.last.params["expand"] == "items"
    assert stub.last.params["max-results"] == "10"


def test_expand_is_not_sent_on_writes(stub: Stub, hc: HipChat) -> None:
    hc.room(1).expand("owner").send("hi")
    assert stub.last.params == {}


def test_expand_rejects_non_strings(hc: HipChat) -> None:
    with pytest.raises(TypeError):
        hc.room(1).expand(3)  # type: ignore[arg-type]


def test_handles_are_new_and_immutable(hc: HipChat) -> None:
    first, second = hc.room(1), hc.room(1)
    assert first is not second
    assert first == second
    expanded = first.expand("owner")
    assert expanded is not first
    assert first.expansions == ()
    assert expanded.expansions == ("owner",)
    other = first.with_id(2)
    assert (first.id, other.id) == (1, 2)
    with pytest.raises(AttributeError):
        first.id = 3  # type: ignore[misc]
    assert isinstance(hc.room(), RoomResource)
    assert hc.room().id is None


def test_supplied_session_is_used_and_not_closed(stub: Stub) -> None:
    session = requests.Session()
    calls: list[str] = []
    original = session.request

    def spy(method: str, url: str, **kwargs):
        calls.append(url)
        return original(method, url, **kwargs)

    session.request = spy  # type: ignore[method-assign]
    with HipChat("t", stub.api, session=session) as client:
        client.room(1).get()
    assert calls == [stub.api + "room/1"]
    assert client.http is session
    client.room(1).get()  # still usable: the caller owns the session
    session.close()


def test_threads_share_one_client(stub: Stub, hc: HipChat) -> None:
    stub.default.body = {"ok": True}
    barrier = threading.Barrier(8)

    def work(n: int) -> tuple[int, object]:
        barrier.wait(timeout=5)
        handle = hc.room(n).expand(f"e{n}")
        return n, handle.get().data

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(40)))
    assert [n for n, _ in results] == list(range(40))
    assert all(data == {"ok": True} for _, data in results)
    seen = {(s.path, s.params["expand"]) for s in stub.seen}
    assert seen == {(f"/v2/room/{n}", f"e{n}") for n in range(40)}
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in stub.seen)


def test_repr_hides_the_token(hc: HipChat) -> None:
    assert TOKEN not in repr(hc)
