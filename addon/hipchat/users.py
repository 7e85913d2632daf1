"""User handles: list, view, create, replace, delete, private messages and photos (§6.4).

A user is named by numeric id, email or ``@mention`` (the "@" is kept unescaped in paths).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from addon.hipchat.constants import MessageFormat
from addon.hipchat.resource import Resource, drop_none, page_params
from addon.hipchat.response import Response

CREATE_FIELDS = frozenset(
    {"title", "mention_name", "is_group_admin", "timezone", "password", "roles", "presence"}
)


@dataclass(frozen=True)
class UserResource(Resource):
    """A handle on one user (id, email or ``@mention``) or on all users."""

    noun = "user"
    safe = "@"

    def all(
        self,
        include_guests: bool = False,
        include_deleted: bool = False,
        start_index: int = 0,
        max_results: int = 100,
    ) -> Response:
        """One page of users: ``GET user``."""
        params = [
            *page_params(start_index, max_results),
            ("include-guests", include_guests),
            ("include-deleted", include_deleted),
        ]
        return self.get_json(self.base_path(), params)

    def iter_all(
        self, include_guests: bool = False, include_deleted: bool = False, max_results: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every user, page after page."""
        params = [
            *page_params(0, max_results),
            ("include-guests", include_guests),
            ("include-deleted", include_deleted),
        ]
        return self.iterate(self.base_path(), params)

    def get(self) -> Response:
        """The full user: ``GET user/{user}`` (honours ``expand``)."""
        return self.get_json(self.item_path())

    def create(self, name: str, email: str, **options: Any) -> Response:
        """Create a user: ``POST user`` -> 201 ``{"id", "links"}``.

        ``options``: title, mention_name, is_group_admin, timezone, password, roles, presence.
        """
        unknown = set(options) - CREATE_FIELDS
        if unknown:
            raise TypeError(f"unknown user fields: {', '.join(sorted(unknown))}")
        body = drop_none({"name": name, "email": email, **options})
        return self.send_json("POST", self.base_path(), body)

    def update(
        self,
        *,
        name: str,
        email: str,
        mention_name: str,
        timezone: str = "UTC",
        is_group_admin: bool = False,
        title: str = "",
        password: str | None = None,
        presence: Mapping[str, Any] | None = None,
        roles: Sequence[str] | None = None,
    ) -> Response:
        """Replace the user: ``PUT user/{user}`` -> 204.

        A full replacement (fields left out may be reset), so the identity fields are required;
        ``password``, ``presence`` and ``roles`` are sent only when given.
        """
        body: dict[str, Any] = {
            "name": name,
            "email": email,
            "mention_name": mention_name,
            "timezone": timezone,
            "is_group_admin": is_group_admin,
            "title": title,
        }
        if password is not None:
            body["password"] = password
        if presence is not None:
            body["presence"] = dict(presence)
        if roles is not None:
            body["roles"] = list(roles)
        return self.send_json("PUT", self.item_path(), body)

    def delete(self) -> Response:
        """Delete the user: ``DELETE user/{user}`` -> 204."""
        return self.delete_path(self.item_path())

    def send(
        self,
        message: str,
        *,
        notify: bool = False,
        message_format: MessageFormat | str = MessageFormat.TEXT,
    ) -> Response:
        """Send a private message: ``POST user/{user}/message`` -> 204."""
        body = {
            "message": message,
            "notify": notify,
            "message_format": MessageFormat(message_format).value,
        }
        return self.send_json("POST", self.item_path("message"), body)

    def upload_photo(self, photo: bytes) -> Response:
        """Set the avatar from raw image bytes: ``PUT user/{user}/photo`` (base64) -> 204."""
        if not isinstance(photo, bytes | bytearray | memoryview):
            raise TypeError("photo must be the raw image bytes")
        encoded = base64.b64encode(bytes(photo)).decode("ascii")
        return self.send_json("PUT", self.item_path("photo"), {"photo": encoded})

    def delete_photo(self) -> Response:
        """Remove the avatar: ``DELETE user/{user}/photo`` -> 204."""
        return self.delete_path(self.item_path("photo"))
