"""A recording HTTP stub that stands in for HipChat, plus a fake clock for retry tests.

The stub is a tiny Flask app served on a real socket: it records every request (method, raw and
decoded path, query, headers, body) and answers with replies each test scripts in order.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask import Flask, Response, request

from addon.hipchat import HipChat
from addon.testing import LiveServer

NOW = 1_700_000_000.0
TOKEN = "tok-123"


@dataclass
class Reply:
    """A scripted answer: status (int or "500 Reason"), body (JSON unless bytes/str), headers."""

    status: int | str = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str | None = None


@dataclass
class Seen:
    """One request as it arrived at the stub."""

    method: str
    path: str
    raw_path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        """The query as a flat dict (last value wins)."""
        return {key: values[-1] for key, values in self.query.items()}

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as a form."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


def rate_headers(remaining: int = 499, reset: float = NOW + 300) -> dict[str, str]:
    """The X-Ratelimit-* headers HipChat sends on every response."""
    return {
        "X-Ratelimit-Limit": "500",
        "X-Ratelimit-Remaining": str(remaining),
        "X-Ratelimit-Reset": str(int(reset)),
    }


class Stub:
    """Records requests and plays back scripted replies (a default 200 ``{}`` when none left)."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.replies: deque[Reply] = deque()
        self.default = Reply(200, {})
        self.lock = threading.Lock()
        self.url = ""
        self.app = self._make_app()

    def reply(self, status: int | str = 200, body: Any = None, **kwargs: Any) -> Stub:
        """Queue one reply (chainable)."""
        self.replies.append(Reply(status, body, **kwargs))
        return self

    @property
    def last(self) -> Seen:
        """The most recent request."""
        assert self.seen, "no request reached the stub"
        return self.seen[-1]

    @property
    def api(self) -> str:
        """The API base URL as a HipChat capabilities document would give it."""
        return f"{self.url}/v2/"

    def _make_app(self) -> Flask:
        app = Flask("hipchat-stub")

        @app.route("/", defaults={"_path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
        @app.route("/<path:_path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
        def catch_all(_path: str) -> Response:
            raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI", "")
            parts = urlsplit(raw_uri)
            seen = Seen(
                method=request.method,
                path=unquote(parts.path),
                raw_path=parts.path,
                query=parse_qs(request.query_string.decode(), keep_blank_values=True),
                raw_query=request.query_string.decode(),
                headers=dict(request.headers),
                body=request.get_data(),
            )
            with self.lock:
                self.seen.append(seen)
                reply = self.replies.popleft() if self.replies else self.default
            if reply.delay:
                time.sleep(reply.delay)
            return self._render(reply)

        return app

    @staticmethod
    def _render(reply: Reply) -> Response:
        headers = {**rate_headers(), **reply.headers}
        if reply.body is None:
            return Response(b"", status=reply.status, headers=headers)
        if isinstance(reply.body, bytes | str):
            ctype = reply.content_type or "text/html; charset=utf-8"
            return Response(reply.body, status=reply.status, headers=headers, content_type=ctype)
        ctype = reply.content_type or "application/json"
        payload = json.dumps(reply.body)
        return Response(payload, status=reply.status, headers=headers, content_type=ctype)


class FakeClock:
    """A clock whose ``sleep`` records the wait and advances time instead of blocking."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now
        self.waits: list[float] = []

    def time(self) -> float:
        """The current fake unix time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move time forward by it."""
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def stub(serve_app: Callable[..., LiveServer]) -> Stub:
    """A recording stub served on 127.0.0.1."""
    recorder = Stub()
    live = serve_app(recorder.app)
    recorder.url = live.url
    return recorder


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at a fixed unix time."""
    return FakeClock()


@pytest.fixture
def make_client(stub: Stub, clock: FakeClock) -> Iterator[Callable[..., HipChat]]:
    """Factory for clients against the stub, with the fake clock and a short timeout."""
    made: list[HipChat] = []

    def factory(**kwargs: Any) -> HipChat:
        options: dict[str, Any] = {
            "token": TOKEN,
            "base_url": stub.api,
            "timeout": 5.0,
            "sleep": clock.sleep,
            "clock": clock.time,
            **kwargs,
        }
        client = HipChat(options.pop("token"), options.pop("base_url"), **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def hc(make_client: Callable[..., HipChat]) -> HipChat:
    """A client with token ``tok-123`` against the stub's ``/v2/``."""
    return make_client()
