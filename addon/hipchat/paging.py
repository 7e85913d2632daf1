"""Iterate over every item of a paged HipChat collection by following ``links.next``.

Collections are ``{"items", "startIndex", "maxResults", "links": {"self", "next"?}}`` and
``next`` is present only while another page exists (HIPCHAT.md §6.1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from addon.hipchat.errors import HipChatError
from addon.hipchat.response import Response
from addon.hipchat.wire import Params

log = logging.getLogger("addon.hipchat")

Fetch = Callable[..., Response]


def next_link(response: Response) -> str | None:
    """The absolute URL of the next page, or None on the last page."""
    data = response.data
    links = data.get("links") if isinstance(data, dict) else None
    nxt = links.get("next") if isinstance(links, dict) else None
    if not nxt or not isinstance(nxt, str):
        return None
    return urljoin(response.url, nxt) if response.url else nxt


def missing_params(url: str, sticky: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``sticky`` params (e.g. ``expand``) that a next-page URL forgot to carry."""
    present = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return [(name, value) for name, value in sticky.items() if name not in present]


def iter_items(
    fetch: Fetch, path: str, params: Params = None, sticky: Mapping[str, str] | None = None
) -> Iterator[Any]:
    """Yield items page by page: GET ``path`` with ``params``, then each ``links.next``.

    ``fetch`` is ``HipChat.request``; ``sticky`` params are re-added to next links lacking them.
    A ``next`` link already visited ends the iteration instead of looping forever.
    """
    sticky = dict(sticky or {})
    response = fetch("GET", path, params=params)
    seen: set[str] = {response.url}
    while True:
        data = response.data
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise HipChatError(
                "expected a collection with an 'items' list",
                status=response.status_code,
                response=response,
            )
        yield from data["items"]
        url = next_link(response)
        if url is None:
            return
        if url in seen:
            log.warning("paging stopped: links.next %s was already visited", url)
            return
        seen.add(url)
        response = fetch("GET", url, params=missing_params(url, sticky) or None)
