"""HipChat's JSON shapes for the emulator's records (HIPCHAT.md §5.2, §6.3-§6.10).

A ``Shaper`` is bound to the state and to the absolute base URL the links should use (the host
a request arrived on, or the emulator's base URL for webhook payloads). Call it under the lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from addon.emulator.expand import NOTHING, Expand
from addon.emulator.state.models import Emoticon, Message, OAuthClient, Room, Token, User, Webhook

if TYPE_CHECKING:  # pragma: no cover
    from addon.emulator.state.core import StateBase


def iso(value: datetime) -> str:
    """ISO-8601 with microseconds and offset, e.g. ``2016-09-06T21:53:37.420887+00:00``."""
    return value.isoformat(timespec="microseconds")


class Shaper:
    """Turns records into the JSON HipChat returns, with absolute links under ``base``."""

    def __init__(self, state: StateBase, base: str) -> None:
        self.state = state
        self.base = base if base.endswith("/") else base + "/"
        self.api = self.base + "v2/"

    # -- users -----------------------------------------------------------------------------------

    def user_link(self, user_id: int) -> str:
        """Absolute URL of a user resource."""
        return f"{self.api}user/{user_id}"

    def user_brief(self, user: User) -> dict[str, Any]:
        """The user brief used in lists, messages, mentions and webhook payloads."""
        return {
            "id": user.id,
            "mention_name": user.mention_name,
            "name": user.name,
            "version": user.version,
            "links": {"self": self.user_link(user.id)},
        }

    def user(self, user: User, expand: Expand = NOTHING) -> dict[str, Any]:
        """The full user object (GET /user/{id})."""
        presence = None
        if user.presence_show is not None and not user.is_deleted:
            presence = {
                "is_online": True,
                "show": user.presence_show,
                "status": user.presence_status,
                "idle": 0,
                "client": {"type": "http://hipchat.com/client/emulator", "version": "1"},
            }
        return {
            **self.user_brief(user),
            "email": user.email,
            "title": user.title,
            "timezone": user.timezone,
            "xmpp_jid": f"{self.state.group.id}_{user.id}@chat.emulator.invalid",
            "is_group_admin": user.is_group_admin,
            "is_guest": user.is_guest,
            "is_deleted": user.is_deleted,
            "created": iso(user.created),
            "last_active": str(int(user.last_active.timestamp())),
            "photo_url": self.photo_url(user, "big"),
            "presence": presence,
            "group": self.group_brief(),
            "roles": list(user.roles),
        }

    def user_ref(self, user_id: int | None, expand: bool) -> dict[str, Any] | None:
        """A user brief, or the full user when expanded; None for an unknown id."""
        user = self.state.users.get(user_id) if user_id is not None else None
        if user is None:
            return None
        return self.user(user) if expand else self.user_brief(user)

    def photo_url(self, user: User, size: str) -> str:
        """Where the user's photo is served (a real image, changes with the photo)."""
        return f"{self.base}emulator/photos/{user.id}/{size}?v={user.version}"

    # -- rooms -----------------------------------------------------------------------------------

    def room_link(self, room_id: int) -> str:
        """Absolute URL of a room resource."""
        return f"{self.api}room/{room_id}"

    def room_links(self, room: Room) -> dict[str, str]:
        """links of a room: self, webhooks, participants, and members for private rooms."""
        links = {
            "self": self.room_link(room.id),
            "webhooks": f"{self.room_link(room.id)}/webhook",
            "participants": f"{self.room_link(room.id)}/participant",
        }
        if room.privacy == "private":
            links["members"] = f"{self.room_link(room.id)}/member"
        return links

    def room_brief(self, room: Room) -> dict[str, Any]:
        """The room brief used in lists and webhook payloads."""
        return {
            "id": room.id,
            "name": room.name,
            "privacy": room.privacy,
            "is_archived": room.is_archived,
            "version": room.version,
            "links": self.room_links(room),
        }

    def room(self, room: Room, expand: Expand = NOTHING) -> dict[str, Any]:
        """The full room object (GET /room/{id}); expands owner, participants, statistics."""
        statistics: dict[str, Any] = {"links": {"self": f"{self.room_link(room.id)}/statistics"}}
        if "statistics" in expand:
            statistics = self.statistics(room)
        participants = [self.user_ref(uid, "participants" in expand) for uid in room.participants]
        return {
            **self.room_brief(room),
            "xmpp_jid": f"{self.state.group.id}_room_{room.id}@conf.emulator.invalid",
            "topic": room.topic,
            "is_guest_accessible": room.is_guest_accessible,
            "guest_access_url": self.guest_url(room),
            "delegate_admin_visibility": room.delegate_admin_visibility,
            "created": iso(room.created),
            "last_active": iso(room.last_active),
            "owner": self.user_ref(room.owner_id, "owner" in expand),
            "participants": [p for p in participants if p is not None],
            "statistics": statistics,
            "avatar_url": (
                f"{self.base}emulator/avatars/room/{room.id}?v={room.version}"
                if room.avatar
                else None
            ),
        }

    def guest_url(self, room: Room) -> str | None:
        """The guest access URL (§6.11): non-null only while guest access is on."""
        return f"{self.base}g{room.guest_token}" if room.guest_token else None

    def statistics(self, room: Room) -> dict[str, Any]:
        """Room statistics (GET /room/{id}/statistics)."""
        return {
            "messages_sent": room.messages_sent,
            "last_active": iso(room.last_active),
            "links": {"self": f"{self.room_link(room.id)}/statistics"},
        }

    def member(self, room: Room, user: User, expand: bool) -> dict[str, Any]:
        """A member-list item: the user (brief or full) plus its ``room_roles``."""
        data = self.user(user) if expand else self.user_brief(user)
        data["room_roles"] = list(room.members.get(user.id, ["room_member"]))
        return data

    # -- messages --------------------------------------------------------------------------------

    def message(self, message: Message, expand: Expand = NOTHING) -> dict[str, Any]:
        """A history item (§6.10): user messages have a user ``from``, notifications a string."""
        data: dict[str, Any] = {"id": message.id, "date": iso(message.date)}
        mentions = [self.user_ref(uid, "mentions" in expand) for uid in message.mention_ids]
        if message.type == "notification":
            data["from"] = message.from_label or ""
            data["message_format"] = message.message_format or "html"
            data["color"] = message.color or "yellow"
        else:
            data["from"] = self.user_ref(message.from_user_id, "from" in expand)
            if message.message_format:
                data["message_format"] = message.message_format
        data["message"] = message.text
        data["mentions"] = [m for m in mentions if m is not None]
        data["type"] = message.type
        if message.card is not None:
            data["card"] = message.card
        if message.attach_to:
            data["attach_to"] = message.attach_to
        if message.file is not None:
            data["file"] = dict(message.file)
        if message.sender_client_id:
            data["notification_sender"] = {
                "type": "addon",
                "id": message.sender_key or message.sender_client_id,
                "client_id": message.sender_client_id,
            }
        return data

    # -- webhooks, emoticons, group, sessions ----------------------------------------------------

    def webhook_brief(self, hook: Webhook) -> dict[str, Any]:
        """A webhook list item."""
        return {
            "id": hook.id,
            "name": hook.name,
            "event": hook.event,
            "pattern": hook.pattern,
            "url": hook.url,
            "key": hook.key,
            "authentication": hook.authentication,
            "links": {"self": f"{self.room_link(hook.room_id)}/webhook/{hook.id}"},
        }

    def webhook(self, hook: Webhook, expand: Expand = NOTHING) -> dict[str, Any]:
        """A full webhook (GET /room/{r}/webhook/{id}); expands ``room`` and ``creator``."""
        room = self.state.rooms.get(hook.room_id)
        room_data = None
        if room is not None:
            room_data = self.room(room) if "room" in expand else self.room_brief(room)
        return {
            **self.webhook_brief(hook),
            "created": iso(hook.created),
            "creator": self.user_ref(hook.creator_user_id, "creator" in expand),
            "room": room_data,
        }

    def emoticon_brief(self, emoticon: Emoticon) -> dict[str, Any]:
        """An emoticon list item."""
        return {
            "id": emoticon.id,
            "shortcut": emoticon.shortcut,
            "url": f"{self.base}emulator/emoticons/{emoticon.id}.png",
            "links": {"self": f"{self.api}emoticon/{emoticon.id}"},
        }

    def emoticon(self, emoticon: Emoticon, expand: Expand = NOTHING) -> dict[str, Any]:
        """A full emoticon (GET /emoticon/{id_or_shortcut})."""
        return {
            **self.emoticon_brief(emoticon),
            "width": emoticon.width,
            "height": emoticon.height,
            "audio_path": emoticon.audio_path,
            "type": emoticon.type,
            "creator": self.user_ref(emoticon.creator_id, "creator" in expand),
        }

    def group_brief(self) -> dict[str, Any]:
        """The group brief embedded in users and sessions."""
        group = self.state.group
        return {
            "id": group.id,
            "name": group.name,
            "links": {"self": f"{self.api}group/{group.id}"},
        }

    def group(self, expand: Expand = NOTHING) -> dict[str, Any]:
        """The full group (GET /group/{id})."""
        group = self.state.group
        owner = next((u for u in self.state.users.values() if "owner" in u.roles), None)
        return {
            **self.group_brief(),
            "domain": None,
            "subdomain": self.base.rstrip("/"),
            "plan": {"id": "emulator", "name": "Emulated", "type": "free"},
            "owner": self.user_ref(owner.id, "owner" in expand) if owner else None,
            "avatar_url": f"{self.base}emulator/avatars/group/{group.id}" if group.avatar else None,
            "statistics": {"links": {"self": f"{self.api}group/{group.id}/statistics"}},
        }

    def session(self, token: Token, expand: Expand = NOTHING) -> dict[str, Any]:
        """An OAuth session (GET /oauth/token/{token}, §3.3); expands owner and client.room."""
        client: OAuthClient | None = self.state.clients.get(token.client_id or "")
        client_data = None
        if client is not None:
            room = self.state.rooms.get(token.room_id or client.room_id or -1)
            room_data = None
            if room is not None:
                room_data = (
                    self.room(room) if "room" in expand.child("client") else (self.room_brief(room))
                )
            client_data = {
                "id": client.oauth_id,
                "name": client.name,
                "room": room_data,
                "allowed_scopes": list(client.scopes),
            }
        return {
            "access_token": token.access_token,
            "expires_in": token.expires_in(),
            "scopes": list(token.scopes),
            "owner_type": token.owner_type,
            "owner": self.user_ref(token.user_id, "owner" in expand),
            "client": client_data,
            "group": self.group_brief(),
        }
