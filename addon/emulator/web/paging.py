"""Collections and paging (HIPCHAT.md §6.1): ``start-index``/``max-results`` in, camelCase out.

``links.self`` is the page just served, ``links.next`` appears only when another page exists and
``links.prev`` only when this is not the first page; all are absolute URLs on the request host.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request

from addon.emulator.web.params import query_int

T = TypeVar("T")

MAX_RESULTS = 1000


@dataclass(frozen=True)
class Page:
    """The requested window of a collection."""

    start: int
    size: int

    @classmethod
    def from_request(cls, default_size: int = 100) -> Page:
        """Read ``start-index`` (default 0) and ``max-results`` (default 100, at most 1000)."""
        return cls(
            query_int("start-index", 0),
            query_int("max-results", default_size, maximum=MAX_RESULTS),
        )


def page_url(start: int, size: int) -> str:
    """The current request URL (absolute, collapsed path) with other paging values."""
    pairs = [
        (key, value)
        for key, value in request.args.items(multi=True)
        if key not in ("start-index", "max-results", "auth_token")
    ]
    pairs += [("start-index", str(start)), ("max-results", str(size))]
    return f"{request.base_url}?{urlencode(pairs)}"


def collection(
    items: Sequence[T], render: Callable[[T], dict[str, Any]], page: Page | None = None
) -> dict[str, Any]:
    """Slice ``items`` by the requested page and render them into a HipChat collection."""
    page = page or Page.from_request()
    window = items[page.start : page.start + page.size]
    links = {"self": page_url(page.start, page.size)}
    if page.size > 0 and page.start + page.size < len(items):
        links["next"] = page_url(page.start + page.size, page.size)
    if page.start > 0:
        links["prev"] = page_url(max(0, page.start - max(page.size, 1)), page.size)
    return {
        "items": [render(item) for item in window],
        "startIndex": page.start,
        "maxResults": page.size,
        "links": links,
    }
