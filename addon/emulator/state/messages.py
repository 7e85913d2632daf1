"""Messages: room notifications, user messages (plain, reply, shared link) and private messages.

Each one is stored in history (§6.10 shapes) and room messages publish ``room_notification`` or
``room_message`` (user messages only) to subscribers, with the webhook ``item`` as payload.
"""

from __future__ import annotations

import random
from typing import Any

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.state.models import Message, Room, User, new_message_id, utcnow
from addon.emulator.state.rooms import RoomOps, RoomRef

UserRef = User | int | str

_REAL_COLORS = ("yellow", "green", "red", "purple", "gray")


class MessageOps(RoomOps):
    """Sending and reading messages (HIPCHAT.md §6.3, §6.4, §6.10)."""

    def post_notification(
        self,
        room: RoomRef,
        body: dict[str, Any],
        from_name: str | None = None,
        *,
        client_id: str | None = None,
    ) -> Message:
        """Post a room notification. ``body`` is a §6.3.1 request body (validated: raises
        ValidationError); the history ``from`` is ``body["from"]``, else ``from_name``.
        ``client_id`` (an oauth_id) marks the add-on that sent it."""
        fields = v.notification(body)
        color = fields["color"]
        if color == "random":
            color = random.choice(_REAL_COLORS)
        with self.transaction():
            target = self.get_room(room)
            client = self.clients.get(client_id or "")
            message = Message(
                id=new_message_id(),
                type="notification",
                text=fields["message"],
                date=utcnow(),
                from_label=fields["from"] or from_name or "",
                color=color,
                message_format=fields["message_format"],
                notify=fields["notify"],
                card=fields["card"],
                attach_to=fields["attach_to"],
                sender_client_id=client.oauth_id if client else None,
                sender_key=client.key if client else None,
            )
            if message.message_format == "text":
                message.mention_ids = self.mentioned_users(message.text)
            self._append(target, message, "room_notification")
            return message

    def post_user_message(
        self,
        room: RoomRef,
        user: UserRef,
        text: str,
        *,
        parent_message_id: str | None = None,
    ) -> Message:
        """Post ``text`` to a room as ``user`` (a user message, like typing in the room).
        Publishes ``room_message``; raises ValidationError for empty or over-long text."""
        value = v.text({"message": text}, "message", required=True, min_len=1, max_len=10000)
        with self.transaction():
            target, sender = self.get_room(room), self.get_user(user)
            if (
                parent_message_id is not None
                and self.find_message(target, parent_message_id) is None
            ):
                raise ValidationError("The parent message does not exist in this room")
            message = Message(
                id=new_message_id(),
                type="message",
                text=value or "",
                date=utcnow(),
                from_user_id=sender.id,
                parent_message_id=parent_message_id,
                mention_ids=self.mentioned_users(value or ""),
            )
            sender.last_active = message.date
            self._append(target, message, "room_message")
            return message

    def share_link(self, room: RoomRef, user: UserRef, link: str, text: str | None) -> Message:
        """Share a link in a room as ``user``: a user message carrying the text and the link."""
        return self.post_user_message(room, user, f"{text} {link}" if text else link)

    def send_private_message(
        self, sender: UserRef, recipient: UserRef, body: dict[str, Any]
    ) -> Message:
        """Send a 1:1 message (POST /user/{id}/message); validated like §6.4 (1-10000 chars)."""
        fields = v.private_message(body)
        with self.transaction():
            source, target = self.get_user(sender), self.get_user(recipient)
            message = Message(
                id=new_message_id(),
                type="message",
                text=fields["message"],
                date=utcnow(),
                from_user_id=source.id,
                to_user_id=target.id,
                message_format=fields["message_format"],
                notify=fields["notify"],
                mention_ids=self.mentioned_users(fields["message"]),
            )
            self.private_messages.append(message)
            source.last_active = message.date
            return message

    def room_history(self, room: RoomRef) -> list[Message]:
        """A copy of a room's history, oldest first."""
        with self.lock:
            return list(self.get_room(room).history)

    def private_history(self, user: UserRef, viewer: User | None) -> list[Message]:
        """Private messages with ``user``; for a user token only those exchanged with ``viewer``."""
        with self.lock:
            target = self.get_user(user)
            result = []
            for message in self.private_messages:
                pair = {message.from_user_id, message.to_user_id}
                if target.id in pair and (viewer is None or viewer.id in pair):
                    result.append(message)
            return result

    def find_message(self, room: Room, message_id: str) -> Message | None:
        """A message of a room's history by id."""
        with self.lock:
            return next((m for m in room.history if m.id == message_id), None)

    def get_message(self, messages: list[Message], message_id: str) -> Message:
        """A message from ``messages`` by id, or NotFoundError."""
        found = next((m for m in messages if m.id == message_id), None)
        if found is None:
            raise NotFoundError("Message not found")
        return found

    def _append(self, room: Room, message: Message, event: str) -> None:
        room.history.append(message)
        room.messages_sent += 1
        room.last_active = message.date
        shaper = self.shaper()
        self._emit(
            event, room, {"message": shaper.message(message), "room": shaper.room_brief(room)}
        )
