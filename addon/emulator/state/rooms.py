"""Room operations: look-up, create, full-replacement update, delete, topic, presence, members,
and room webhooks. Lifecycle changes publish room_* events (HIPCHAT.md §5.2)."""

from __future__ import annotations

from typing import Any

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.state.models import Room, User, Webhook, new_secret, utcnow
from addon.emulator.state.users import UserOps

RoomRef = Room | int | str


class RoomOps(UserOps):
    """Rooms of the group (HIPCHAT.md §6.3, §6.5)."""

    def find_room(self, ref: RoomRef) -> Room | None:
        """A room by record, numeric id or name (case-insensitive); None when unknown."""
        with self.lock:
            if isinstance(ref, Room):
                return ref if self.rooms.get(ref.id) is ref else None
            if isinstance(ref, int):
                return self.rooms.get(ref)
            if ref.isdigit() and int(ref) in self.rooms:
                return self.rooms[int(ref)]
            wanted = ref.lower()
            return next((r for r in self.rooms.values() if r.name.lower() == wanted), None)

    def get_room(self, ref: RoomRef) -> Room:
        """Like ``find_room`` but raises NotFoundError (404 "Room not found")."""
        room = self.find_room(ref)
        if room is None:
            raise NotFoundError("Room not found")
        return room

    def list_rooms(
        self, *, include_private: bool = True, include_archived: bool = False
    ) -> list[Room]:
        """Rooms ordered by id, filtered like GET /room."""
        with self.lock:
            return [
                r
                for r in sorted(self.rooms.values(), key=lambda r: r.id)
                if (include_private or r.privacy == "public")
                and (include_archived or not r.is_archived)
            ]

    def create_room(self, body: dict[str, Any], actor: User | None = None) -> Room:
        """POST /room: validate, create, publish room_created; raises ValidationError."""
        name = v.room_name(body)
        privacy = v.choice(body, "privacy", ("public", "private"), "public")
        topic = v.topic(body, required=False)
        guest = v.boolean(body, "guest_access")
        delegate = v.boolean(body, "delegate_admin_visibility")
        with self.transaction():
            self._check_name_free(name, None)
            owner = self._owner(body.get("owner_user_id"), actor)
            room = Room(
                id=next(self.room_ids),
                name=name,
                owner_id=owner.id if owner else None,
                privacy=privacy,
                topic=topic,
                guest_token=new_secret(16) if guest else None,
                delegate_admin_visibility=delegate,
            )
            if owner is not None:
                room.members[owner.id] = ["room_admin"]
            self.rooms[room.id] = room
            self._emit_room_event("room_created", room, actor)
            return room

    def update_room(self, ref: RoomRef, body: dict[str, Any], actor: User | None = None) -> Room:
        """PUT /room/{id}: full replacement of name, privacy, is_archived, is_guest_accessible
        and topic (all required); ``owner.id`` optional. Publishes (un)archive events."""
        name = v.room_name(body)
        for key in ("privacy", "is_archived", "is_guest_accessible", "topic"):
            if key not in body:
                raise ValidationError(f"Missing required field: '{key}'")
        privacy = v.choice(body, "privacy", ("public", "private"), "public")
        archived = v.boolean(body, "is_archived")
        guest = v.boolean(body, "is_guest_accessible")
        topic = v.topic(body)
        delegate = v.boolean(body, "delegate_admin_visibility")
        owner_ref = body.get("owner_user_id")
        if isinstance(body.get("owner"), dict):
            owner_ref = body["owner"].get("id", owner_ref)
        with self.transaction():
            room = self.get_room(ref)
            self._check_name_free(name, room.id)
            if owner_ref is not None:
                owner = self._owner(owner_ref, None)
                room.owner_id = owner.id if owner else room.owner_id
            was_archived = room.is_archived
            room.name, room.privacy, room.topic = name, privacy, topic
            room.is_archived, room.delegate_admin_visibility = archived, delegate
            if guest and room.guest_token is None:
                room.guest_token = new_secret(16)
            elif not guest:
                room.guest_token = None
            room.touch()
            if archived != was_archived:
                self._emit_room_event(
                    "room_archived" if archived else "room_unarchived", room, actor
                )
            return room

    def delete_room(self, ref: RoomRef, actor: User | None = None) -> Room:
        """DELETE /room/{id}: remove the room and its webhooks, publish room_deleted."""
        with self.transaction():
            room = self.get_room(ref)
            self._emit_room_event("room_deleted", room, actor)
            del self.rooms[room.id]
            room.removed_webhooks = [h for h in self.webhooks.values() if h.room_id == room.id]
            for hook in room.removed_webhooks:
                del self.webhooks[hook.id]
            room.participants.clear()
            return room

    def set_topic(self, ref: RoomRef, topic: str, actor: User | None = None) -> Room:
        """PUT /room/{id}/topic: set the topic (<= 250 chars), publish room_topic_change."""
        value = v.topic({"topic": topic})
        with self.transaction():
            room = self.get_room(ref)
            room.topic = value
            room.last_active = utcnow()
            room.touch()
            self._emit_room_event("room_topic_change", room, actor, topic=value)
            return room

    def enter_room(self, ref: RoomRef, user_ref: User | int | str) -> Room:
        """A user joins the room's participants; publishes room_enter (no-op if present)."""
        with self.transaction():
            room, user = self.get_room(ref), self.get_user(user_ref)
            if user.id not in room.participants:
                room.participants.append(user.id)
                user.presence_show = user.presence_show or "chat"
                self._emit_room_event("room_enter", room, user)
            return room

    def exit_room(self, ref: RoomRef, user_ref: User | int | str) -> Room:
        """A user leaves the room's participants; publishes room_exit (no-op if absent)."""
        with self.transaction():
            room, user = self.get_room(ref), self.get_user(user_ref)
            if user.id in room.participants:
                room.participants.remove(user.id)
                self._emit_room_event("room_exit", room, user)
            return room

    def add_member(self, ref: RoomRef, user_ref: User | int | str, roles: list[str] | None) -> None:
        """PUT /room/{r}/member/{u}: add (or re-role) a member."""
        with self.transaction():
            room, user = self.get_room(ref), self.get_user(user_ref)
            room.members[user.id] = roles or room.members.get(user.id) or ["room_member"]
            room.touch()

    def remove_member(self, ref: RoomRef, user_ref: User | int | str) -> None:
        """DELETE /room/{r}/member/{u}: remove a member (and, in private rooms, its presence)."""
        with self.transaction():
            room, user = self.get_room(ref), self.get_user(user_ref)
            room.members.pop(user.id, None)
            if room.privacy == "private" and user.id in room.participants:
                room.participants.remove(user.id)
                self._emit_room_event("room_exit", room, user)
            room.touch()

    def set_room_avatar(self, ref: RoomRef, avatar: bytes | None) -> None:
        """PUT/DELETE /room/{r}/avatar."""
        with self.transaction():
            room = self.get_room(ref)
            room.avatar = avatar
            room.touch()

    # -- webhooks --------------------------------------------------------------------------------

    def add_webhook(
        self,
        ref: RoomRef,
        spec: dict[str, Any],
        *,
        creator_user_id: int | None = None,
        oauth_client_id: str | None = None,
    ) -> Webhook:
        """Create a room webhook from a body validated by ``validation.webhook``. A hook with the
        same ``key`` from the same client in the same room is replaced (new id)."""
        fields = v.webhook(spec)
        with self.transaction():
            room = self.get_room(ref)
            if fields["key"]:
                for old in list(self.webhooks.values()):
                    if (old.room_id, old.oauth_client_id, old.key) == (
                        room.id,
                        oauth_client_id,
                        fields["key"],
                    ):
                        del self.webhooks[old.id]
            hook = Webhook(
                id=next(self.webhook_ids),
                room_id=room.id,
                creator_user_id=creator_user_id,
                oauth_client_id=oauth_client_id,
                **fields,
            )
            self.webhooks[hook.id] = hook
            return hook

    def list_webhooks(self, ref: RoomRef | None = None) -> list[Webhook]:
        """Webhooks of one room (or of every room), ordered by id."""
        with self.lock:
            room_id = self.get_room(ref).id if ref is not None else None
            return [
                h
                for h in sorted(self.webhooks.values(), key=lambda h: h.id)
                if room_id is None or h.room_id == room_id
            ]

    def get_webhook(self, ref: RoomRef, webhook_id: int) -> Webhook:
        """One webhook of a room; NotFoundError when absent."""
        with self.lock:
            room = self.get_room(ref)
            hook = self.webhooks.get(webhook_id)
            if hook is None or hook.room_id != room.id:
                raise NotFoundError("Webhook not found")
            return hook

    def delete_webhook(self, ref: RoomRef, webhook_id: int) -> None:
        """Delete one webhook of a room; NotFoundError when absent."""
        with self.transaction():
            hook = self.get_webhook(ref, webhook_id)
            del self.webhooks[hook.id]

    # -- helpers ---------------------------------------------------------------------------------

    def _check_name_free(self, name: str, own_id: int | None) -> None:
        for room in self.rooms.values():
            if room.id != own_id and room.name.lower() == name.lower():
                raise ValidationError("Another room exists with that name")

    def _owner(self, ref: Any, actor: User | None) -> User | None:
        if ref is None or ref == "":
            return actor or self.group_owner()
        if not isinstance(ref, int | str) or isinstance(ref, bool):
            raise ValidationError("Field 'owner_user_id' must be a user id")
        owner = self.find_user(ref)
        if owner is None:
            raise ValidationError("The owner user does not exist")
        return owner
