"""The immutable handle every resource (room, user, webhook, ...) is built on.

A handle is a frozen dataclass holding the client, an optional identifier and the title
expansions to request; ``expand()`` and ``with_id()`` return new handles, so handles can be
shared freely between threads (the PHP seed mutates one shared object instead).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from addon.hipchat.paging import iter_items
from addon.hipchat.wire import Params, clean_params, flatten_names, segment

if TYPE_CHECKING:  # pragma: no cover
    from addon.hipchat.client import HipChat
    from addon.hipchat.response import Response


@dataclass(frozen=True)
class Resource:
    """Base handle: ``client``, ``id`` (None for the collection) and ``expansions``."""

    client: HipChat = field(repr=False, compare=False)
    id: int | str | None = None
    expansions: tuple[str, ...] = ()

    noun: ClassVar[str] = "resource"
    safe: ClassVar[str] = ""

    def expand(self, *names: str | Any) -> Self:
        """A new handle that asks for ``expand=`` these properties on its GET calls (§6.2).

        Accepts ``expand("owner")``, ``expand(["owner", "participants"])``,
        ``expand("a", "b")`` or ``expand("a,b")``; names accumulate without duplicates.
        """
        merged = list(self.expansions)
        for name in flatten_names(names):
            if name not in merged:
                merged.append(name)
        return dataclasses.replace(self, expansions=tuple(merged))

    def with_id(self, identifier: int | str | None) -> Self:
        """A new handle on another identifier (the PHP ``setId``), keeping the expansions."""
        return dataclasses.replace(self, id=identifier)

    # -- helpers for subclasses ----------------------------------------------------------

    def base_path(self) -> str:
        """The collection path, e.g. ``room``."""
        return self.noun

    def item_path(self, *more: str) -> str:
        """The path of this item plus ``more`` segments; raises ValueError without an id."""
        if self.id is None:
            raise ValueError(f"this {self.noun} handle has no id; use hc.{self.noun}(id)")
        return "/".join([self.base_path(), segment(self.id, self.safe), *more])

    def expand_params(self) -> dict[str, str]:
        """``{"expand": "a,b"}`` when expansions were asked for, else empty."""
        return {"expand": ",".join(self.expansions)} if self.expansions else {}

    def get_json(self, path: str, params: Params = None) -> Response:
        """GET ``path`` with ``params`` plus this handle's ``expand``."""
        query = clean_params(params) + list(self.expand_params().items())
        return self.client.request("GET", path, params=query)

    def iterate(self, path: str, params: Params = None) -> Iterator[Any]:
        """Yield every item of the collection at ``path``, following ``links.next``."""
        query = clean_params(params) + list(self.expand_params().items())
        return iter_items(self.client.request, path, query, sticky=self.expand_params())

    def send_json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        """POST/PUT ``body`` as JSON (always with a JSON content type, ``{}`` when empty)."""
        return self.client.request(method, path, json=body if body is not None else {})

    def delete_path(self, path: str) -> Response:
        """DELETE ``path``."""
        return self.client.request("DELETE", path)


def drop_none(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` without the keys whose value is None (optional fields left out)."""
    return {key: value for key, value in body.items() if value is not None}


def page_params(start_index: int, max_results: int) -> list[tuple[str, int]]:
    """HipChat's paging params (§6.1), validated: start >= 0, 1 <= max <= 1000."""
    if start_index < 0:
        raise ValueError("start_index must be >= 0")
    if not 1 <= max_results <= 1000:
        raise ValueError("max_results must be between 1 and 1000")
    return [("start-index", start_index), ("max-results", max_results)]
