"""Room webhook handles, managed over REST (HIPCHAT.md §6.5, needs ``admin_room``).

``hc.room(r).webhook()`` is the room's webhook collection, ``hc.room(r).webhook(id)`` one hook.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from addon.hipchat.resource import Resource, drop_none, page_params
from addon.hipchat.response import Response
from addon.hipchat.wire import segment


@dataclass(frozen=True)
class WebhookResource(Resource):
    """A handle on one room webhook (``id``) or on all webhooks of ``room``."""

    room: int | str | None = None

    noun = "webhook"

    def base_path(self) -> str:
        """``room/{room}/webhook``."""
        if self.room is None:
            raise ValueError("a webhook handle needs a room; use hc.room(id).webhook()")
        return f"room/{segment(self.room)}/webhook"

    def all(self, start_index: int = 0, max_results: int = 100) -> Response:
        """One page of the room's webhooks: ``GET room/{room}/webhook``."""
        return self.get_json(self.base_path(), page_params(start_index, max_results))

    def iter_all(self, max_results: int = 100) -> Iterator[dict[str, Any]]:
        """Every webhook of the room, page after page."""
        return self.iterate(self.base_path(), page_params(0, max_results))

    def get(self) -> Response:
        """One webhook: ``GET room/{room}/webhook/{id}`` (expand ``room``, ``creator``)."""
        return self.get_json(self.item_path())

    def delete(self) -> Response:
        """Delete the webhook: ``DELETE room/{room}/webhook/{id}`` -> 204."""
        return self.delete_path(self.item_path())

    def create(
        self,
        url: str,
        event: str,
        *,
        pattern: str | None = None,
        name: str | None = None,
        key: str | None = None,
        authentication: str | Mapping[str, Any] | None = None,
    ) -> Response:
        """Register a webhook: ``POST room/{room}/webhook`` -> 201 ``{"id", "links"}``."""
        if not url or not event:
            raise ValueError("a webhook needs a url and an event")
        body = {
            "url": url,
            "event": event,
            "pattern": pattern,
            "name": name,
            "key": key,
            "authentication": authentication,
        }
        return self.send_json("POST", self.base_path(), drop_none(body))
