"""Error mapping per status (HIPCHAT.md §6.13) and transport failures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from addon.hipchat import (
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    HipChat,
    HipChatError,
    InternalServerError,
    NotFoundError,
    RequestTimeoutError,
    ServiceUnavailableError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
)
from tests.hipchat.conftest import Stub


def envelope(code: int, message: str, kind: str) -> dict:
    """HipChat's error body."""
    return {"error": {"code": code, "message": message, "type": kind}}


@pytest.mark.parametrize(
    ("status", "kind", "message", "cls"),
    [
        (400, "Bad Request", "Validation error: name is too long", BadRequestError),
        (401, "Unauthorized", "Invalid OAuth session", UnauthorizedError),
        (
            403,
            "Forbidden",
            "This action requires one of the following scopes: [admin_room]",
            ForbiddenError,
        ),
        (404, "Not Found", "Room not found", NotFoundError),
        (405, "Method Not Allowed", "Method not allowed", HipChatError),
        (429, "Too Many Requests", "Rate Limit exceeded", TooManyRequestsError),
        (500, "Internal Server Error", "Oops", InternalServerError),
        (503, "Service Unavailable", "Down for maintenance", ServiceUnavailableError),
    ],
)
def test_status_maps_to_typed_error(
    stub: Stub,
    make_client: Callable[..., HipChat],
    status: int,
    kind: str,
    message: str,
    cls: type[HipChatError],
) -> None:
    client = make_client(max_retries=0)
    stub.reply(status, envelope(status, message, kind), headers={"X-Ratelimit-Remaining": "0"})
    with pytest.raises(HipChatError) as info:
        client.room(2).get()
    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert error.message == message
    assert error.type == kind
    assert error.response is not None
    assert error.response.status_code == status
    assert error.response.rate_remaining == 0
    assert message in str(error)
    assert str(status) in str(error)
    assert len(stub.seen) == 1


def test_non_json_error_body_uses_the_reason_phrase(stub: Stub, hc: HipChat) -> None:
    stub.reply("500 Kaputt", "<html>proxy error</html>")
    with pytest.raises(InternalServerError) as info:
        hc.room(2).get()
    assert info.value.message == "Kaputt"
    assert info.value.type == "Kaputt"
    assert info.value.response.data is None
    assert "proxy error" in info.value.response.text


def test_unmapped_status_is_a_plain_hipchat_error(stub: Stub, hc: HipChat) -> None:
    stub.reply("418 Teapot", "")
    with pytest.raises(HipChatError) as info:
        hc.room(2).get()
    assert type(info.value) is HipChatError
    assert info.value.status == 418
    assert info.value.message == "Teapot"


def test_envelope_without_type_falls_back_to_reason(stub: Stub, hc: HipChat) -> None:
    stub.reply("404 Not Found", {"error": {"code": 404, "message": "User not found"}})
    with pytest.raises(NotFoundError) as info:
        hc.user("@ghost").get()
    assert (info.value.message, info.value.type) == ("User not found", "Not Found")


def test_envelope_with_a_string_error(stub: Stub, hc: HipChat) -> None:
    stub.reply("400 Bad Request", {"error": "name is required"})
    with pytest.raises(BadRequestError) as info:
        hc.room().create("")
    assert info.value.message == "name is required"


def test_errors_share_one_base() -> None:
    for cls in (ConnectionFailedError, RequestTimeoutError):
        assert issubclass(cls, TransportError)
        assert issubclass(cls, HipChatError)
    error = HipChatError("plain")
    assert (error.status, error.type, error.response, str(error)) == (None, None, None, "plain")


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_connection_failed() -> None:
    client = HipChat("t", f"http://127.0.0.1:{closed_port()}/v2/", timeout=2)
    with pytest.raises(ConnectionFailedError) as info:
        client.room(1).get()
    assert info.value.status is None
    assert "room/1" in info.value.message
    assert info.value.maybe_sent is False  # nothing left: a retry cannot post twice


def test_a_connection_dropped_before_the_answer_may_have_been_sent() -> None:
    """A server that reads the request and closes without answering: HipChat may have acted."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def drop() -> None:
            connection, _ = server.accept()
            connection.recv(65536)
            connection.close()

        thread = threading.Thread(target=drop)
        thread.start()
        client = HipChat("t", f"http://127.0.0.1:{server.getsockname()[1]}/v2/", timeout=2)
        with pytest.raises(ConnectionFailedError) as info:
            client.room(1).send("hello")
        thread.join()
    assert info.value.maybe_sent is True
    assert "dropped" in info.value.message


def test_slow_server_is_a_timeout_and_is_not_retried(
    stub: Stub, make_client: Callable[..., HipChat]
) -> None:
    client = make_client(timeout=0.1)
    stub.reply(204, delay=0.6)
    with pytest.raises(RequestTimeoutError) as info:
        client.room(1).send("hello")
    assert len(stub.seen) == 1
    assert info.value.maybe_sent is True


def test_other_request_failures_are_transport_errors(hc: HipChat) -> None:
    for url in ("htp://example.com/x", "http://bad host/x"):
        with pytest.raises(TransportError) as info:
            hc.request("GET", url)
        assert not isinstance(info.value, ConnectionFailedError | RequestTimeoutError)
