"""Room handles: CRUD, topic, notifications and messages, history, members, participants.

Paths, parameters and status codes follow HIPCHAT.md §6.3; ``get_embedding_url`` follows
§6.11. ``hc.room()`` is the collection, ``hc.room(id_or_name)`` one room.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from addon.hipchat.constants import Color, MessageFormat, Privacy
from addon.hipchat.resource import Resource, drop_none, page_params
from addon.hipchat.response import Response
from addon.hipchat.webhooks import WebhookResource
from addon.hipchat.wire import segment


def card_json(card: Any) -> dict[str, Any] | None:
    """A card as a JSON object: a dict as-is, or anything with ``to_json()`` (a Card builder)."""
    if card is None or isinstance(card, Mapping):
        return dict(card) if card is not None else None
    to_json = getattr(card, "to_json", None)
    if callable(to_json):
        return to_json()
    raise TypeError("card must be a dict or have a to_json() method")


@dataclass(frozen=True)
class RoomResource(Resource):
    """A handle on one room (``id`` = numeric id or room name) or on all rooms."""

    noun = "room"

    # -- the collection ------------------------------------------------------------------

    def all(
        self,
        start_index: int = 0,
        max_results: int = 100,
        include_private: bool = True,
        include_archived: bool = False,
    ) -> Response:
        """One page of rooms: ``GET room`` (200 collection)."""
        params = [
            *page_params(start_index, max_results),
            ("include-private", include_private),
            ("include-archived", include_archived),
        ]
        return self.get_json(self.base_path(), params)

    def iter_all(
        self, include_private: bool = True, include_archived: bool = False, max_results: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every room, page after page (follows ``links.next``)."""
        params = [
            *page_params(0, max_results),
            ("include-private", include_private),
            ("include-archived", include_archived),
        ]
        return self.iterate(self.base_path(), params)

    def create(
        self,
        name: str,
        *,
        privacy: Privacy | str = Privacy.PUBLIC,
        guest_access: bool = False,
        owner_user_id: int | str | None = None,
        topic: str | None = None,
        delegate_admin_visibility: bool | None = None,
    ) -> Response:
        """Create a room: ``POST room`` -> 201 ``{"id", "links"}``."""
        body = {
            "name": name,
            "privacy": Privacy(privacy).value,
            "guest_access": guest_access,
            "owner_user_id": owner_user_id,
            "topic": topic,
            "delegate_admin_visibility": delegate_admin_visibility,
        }
        return self.send_json("POST", self.base_path(), drop_none(body))

    # -- one room ------------------------------------------------------------------------

    def get(self) -> Response:
        """The room object: ``GET room/{room}`` (honours ``expand``)."""
        return self.get_json(self.item_path())

    def update(
        self,
        *,
        name: str,
        privacy: Privacy | str,
        is_archived: bool,
        is_guest_accessible: bool,
        topic: str,
        owner_user_id: int | str | None,
    ) -> Response:
        """Replace the room's settings: ``PUT room/{room}`` -> 204.

        HipChat treats this as a full replacement, hence every field is required;
        ``owner_user_id=None`` leaves ``owner`` out of the body.
        """
        body: dict[str, Any] = {
            "name": name,
            "privacy": Privacy(privacy).value,
            "is_archived": is_archived,
            "is_guest_accessible": is_guest_accessible,
            "topic": topic,
        }
        if owner_user_id is not None:
            body["owner"] = {"id": owner_user_id}
        return self.send_json("PUT", self.item_path(), body)

    def delete(self) -> Response:
        """Delete the room: ``DELETE room/{room}`` -> 204."""
        return self.delete_path(self.item_path())

    def set_topic(self, topic: str) -> Response:
        """Set the topic: ``PUT room/{room}/topic`` with ``{"topic"}`` -> 204."""
        return self.send_json("PUT", self.item_path("topic"), {"topic": topic})

    def send(
        self,
        message: str,
        *,
        notify: bool = False,
        color: Color | str = Color.YELLOW,
        message_format: MessageFormat | str = MessageFormat.HTML,
        card: Any = None,
        from_: str | None = None,
        attach_to: str | None = None,
    ) -> Response:
        """Send a room notification (§6.3.1): ``POST room/{room}/notification`` -> 204."""
        body = {
            "message": message,
            "notify": notify,
            "color": Color(color).value,
            "message_format": MessageFormat(message_format).value,
            "card": card_json(card),
            "from": from_,
            "attach_to": attach_to,
        }
        return self.send_json("POST", self.item_path("notification"), drop_none(body))

    def message(self, text: str) -> Response:
        """Post a message as the token's user: ``POST room/{room}/message`` -> 201."""
        return self.send_json("POST", self.item_path("message"), {"message": text})

    def reply(self, parent_message_id: str, message: str) -> Response:
        """Reply to a message: ``POST room/{room}/reply`` -> 204."""
        body = {"parentMessageId": parent_message_id, "message": message}
        return self.send_json("POST", self.item_path("reply"), body)

    def share_link(self, link: str, message: str | None = None) -> Response:
        """Share a link: ``POST room/{room}/share/link`` -> 204."""
        body = drop_none({"link": link, "message": message})
        return self.send_json("POST", self.item_path("share", "link"), body)

    # -- history -------------------------------------------------------------------------

    def history(
        self,
        start_index: int = 0,
        max_results: int = 100,
        *,
        date: str | None = None,
        timezone: str | None = None,
        reverse: bool | None = None,
        end_date: str | None = None,
        include_deleted: bool | None = None,
    ) -> Response:
        """One page of history: ``GET room/{room}/history`` (``date="recent"`` is unpaged)."""
        return self.get_json(
            self.item_path("history"),
            [
                *page_params(start_index, max_results),
                *_history_params(date, timezone, reverse, end_date, include_deleted),
            ],
        )

    def iter_history(
        self,
        *,
        max_results: int = 100,
        date: str | None = None,
        timezone: str | None = None,
        reverse: bool | None = None,
        end_date: str | None = None,
        include_deleted: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every history message, page after page (pass ``reverse=False`` for stable paging)."""
        return self.iterate(
            self.item_path("history"),
            [
                *page_params(0, max_results),
                *_history_params(date, timezone, reverse, end_date, include_deleted),
            ],
        )

    def latest(
        self,
        max_results: int | None = None,
        *,
        timezone: str | None = None,
        not_before: str | None = None,
        include_deleted: bool | None = None,
    ) -> Response:
        """The most recent messages: ``GET room/{room}/history/latest``."""
        params = [
            ("max-results", max_results),
            ("timezone", timezone),
            ("not-before", not_before),
            ("include_deleted", include_deleted),
        ]
        return self.get_json(self.item_path("history", "latest"), params)

    # -- people --------------------------------------------------------------------------

    def participants(
        self, start_index: int = 0, max_results: int = 100, include_offline: bool | None = None
    ) -> Response:
        """Users in the room now: ``GET room/{room}/participant``."""
        params = [*page_params(start_index, max_results), ("include-offline", include_offline)]
        return self.get_json(self.item_path("participant"), params)

    def iter_participants(
        self, include_offline: bool | None = None, max_results: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every participant, page after page."""
        params = [*page_params(0, max_results), ("include-offline", include_offline)]
        return self.iterate(self.item_path("participant"), params)

    def statistics(self) -> Response:
        """Message count and last activity: ``GET room/{room}/statistics``."""
        return self.get_json(self.item_path("statistics"))

    def add_member(self, user: int | str, room_roles: Sequence[str] | None = None) -> Response:
        """Add a member to a private room: ``PUT room/{room}/member/{user}`` -> 204."""
        body = {"room_roles": list(room_roles)} if room_roles is not None else {}
        return self.send_json("PUT", self.item_path("member", segment(user, "@")), body)

    def delete_member(self, user: int | str) -> Response:
        """Remove a member from a private room: ``DELETE room/{room}/member/{user}`` -> 204."""
        return self.delete_path(self.item_path("member", segment(user, "@")))

    def all_members(self, start_index: int = 0, max_results: int = 100) -> Response:
        """One page of members: ``GET room/{room}/member``."""
        return self.get_json(self.item_path("member"), page_params(start_index, max_results))

    def iter_members(self, max_results: int = 100) -> Iterator[dict[str, Any]]:
        """Every member, page after page."""
        return self.iterate(self.item_path("member"), page_params(0, max_results))

    # -- webhooks and guest access -------------------------------------------------------

    def webhook(self, webhook_id: int | str | None = None) -> WebhookResource:
        """A handle on this room's webhooks (one when ``webhook_id`` is given)."""
        self.item_path()  # a webhook needs a room
        return WebhookResource(self.client, webhook_id, room=self.id)

    def get_embedding_url(
        self,
        minimal: bool = True,
        anonymous: bool = False,
        timezone: str = "UTC",
        welcome_msg: str = "",
    ) -> str | None:
        """The guest-access URL with embedding options (§6.11), or None without guest access."""
        data = self.get().data
        url = data.get("guest_access_url") if isinstance(data, dict) else None
        if not url:
            return None
        query = urlencode(
            [
                ("minimal", int(bool(minimal))),
                ("anonymous", int(bool(anonymous))),
                ("timezone", timezone),
                ("welcome_msg", welcome_msg),
            ]
        )
        return f"{url}{'&' if '?' in url else '?'}{query}"


def _history_params(
    date: str | None,
    timezone: str | None,
    reverse: bool | None,
    end_date: str | None,
    include_deleted: bool | None,
) -> list[tuple[str, Any]]:
    """The optional history filters, under HipChat's names (note ``include_deleted``)."""
    if end_date is not None and date is None:
        raise ValueError("end_date needs date")
    return [
        ("date", date),
        ("timezone", timezone),
        ("reverse", reverse),
        ("end-date", end_date),
        ("include_deleted", include_deleted),
    ]
