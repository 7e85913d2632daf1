"""Shared assertion for wire tests: one call, one request, checked against HIPCHAT.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from addon.hipchat import HipChat, Response
from tests.hipchat.conftest import TOKEN, Stub

ABSENT = object()


@dataclass
class Case:
    """A client call and what must reach HipChat: method, path, query, body; then the reply."""

    call: Callable[[HipChat], Response]
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = ABSENT
    status: int = 200
    reply: Any = None


def check(stub: Stub, hc: HipChat, case: Case) -> None:
    """Run ``case`` against the stub and assert the request and the Response."""
    stub.reply(case.status, case.reply)
    response = case.call(hc)
    seen = stub.last
    assert len(stub.seen) == 1
    assert seen.method == case.method
    assert seen.path == case.path
    assert seen.params == case.query
    assert all(len(v) == 1 for v in seen.query.values()), seen.query
    assert seen.headers.get("Authorization") == f"Bearer {TOKEN}"
    if case.body is ABSENT:
        assert seen.body == b""
    else:
        assert seen.headers.get("Content-Type") == "application/json"
        assert seen.json == case.body
    assert isinstance(response, Response)
    assert response.status_code == case.status
    assert response.ok
    assert response.data == case.reply
    assert response.rate_limit == 500
