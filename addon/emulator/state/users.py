"""User operations: look-up by id/email/@mention, create, full-replacement update, delete, photo."""

from __future__ import annotations

import re
from typing import Any

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.state.core import StateBase
from addon.emulator.state.models import User


class UserOps(StateBase):
    """Users of the group (HIPCHAT.md §6.4)."""

    def find_user(self, ref: User | int | str, *, include_deleted: bool = False) -> User | None:
        """A user by record, numeric id, email or ``@mention`` name (a bare mention name works
        too); None when unknown."""
        with self.lock:
            if isinstance(ref, User):
                user: User | None = ref
            elif isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
                user = self.users.get(int(ref))
            elif ref.startswith("@") or "@" not in ref:
                wanted = ref.removeprefix("@").lower()
                user = next(
                    (
                        u
                        for u in self.users.values()
                        if u.mention_name.lower() == wanted and not u.is_deleted
                    ),
                    None,
                )
            else:
                wanted = ref.lower()
                user = next(
                    (
                        u
                        for u in self.users.values()
                        if u.email.lower() == wanted and not u.is_deleted
                    ),
                    None,
                )
            if user is not None and user.is_deleted and not include_deleted:
                return None
            return user

    def get_user(self, ref: User | int | str) -> User:
        """Like ``find_user`` but raises NotFoundError (404 "User not found")."""
        user = self.find_user(ref)
        if user is None:
            raise NotFoundError("User not found")
        return user

    def list_users(
        self, *, include_guests: bool = False, include_deleted: bool = False
    ) -> list[User]:
        """Users ordered by id, filtered like GET /user."""
        with self.lock:
            return [
                u
                for u in sorted(self.users.values(), key=lambda u: u.id)
                if (include_guests or not u.is_guest) and (include_deleted or not u.is_deleted)
            ]

    def group_owner(self) -> User | None:
        """The first active group owner/admin: who acts for add-on tokens without a user."""
        with self.lock:
            for user in self.list_users():
                if "owner" in user.roles or user.is_group_admin:
                    return user
            users = self.list_users()
            return users[0] if users else None

    def create_user(self, body: dict[str, Any]) -> User:
        """Create a user from a POST /user body; raises ValidationError (400) on bad input."""
        name = v.text(body, "name", required=True, min_len=1, max_len=v.USER_NAME_MAX) or ""
        email = v.email(body) or ""
        given = v.mention_name(body)
        with self.transaction():
            mention = given or self._free_mention(_mention_from(name))
            self._check_unique(email, mention, None)
            user = User(
                id=next(self.user_ids),
                name=name,
                mention_name=mention,
                email=email,
                password=v.text(body, "password", min_len=1, max_len=100),
                title=v.text(body, "title", max_len=100) or "",
                timezone=v.text(body, "timezone", min_len=1, max_len=50) or "UTC",
                is_group_admin=v.boolean(body, "is_group_admin"),
                roles=v.roles(body.get("roles"), v.USER_ROLES, "roles") or ["user"],
            )
            self.users[user.id] = user
            return user

    def update_user(self, ref: User | int | str, body: dict[str, Any]) -> User:
        """PUT /user/{id}: full replacement; name, email and mention_name are required, optional
        fields left out are reset to defaults, and the password is kept unless given."""
        name = v.text(body, "name", required=True, min_len=1, max_len=v.USER_NAME_MAX) or ""
        email = v.email(body) or ""
        mention = v.mention_name(body, required=True) or ""
        title = v.text(body, "title", max_len=100) or ""
        timezone = v.text(body, "timezone", min_len=1, max_len=50) or "UTC"
        is_admin = v.boolean(body, "is_group_admin")
        password = v.text(body, "password", min_len=1, max_len=100)
        roles = v.roles(body.get("roles"), v.USER_ROLES, "roles")
        presence = body.get("presence")
        if presence is not None and not isinstance(presence, dict):
            raise ValidationError("Field 'presence' must be an object")
        show = v.choice(presence or {}, "show", ("away", "chat", "dnd", "xa"), "chat")
        status = v.text(presence or {}, "status", max_len=100, label="presence.status")
        with self.transaction():
            user = self.get_user(ref)
            self._check_unique(email, mention, user.id)
            user.name, user.email, user.mention_name = name, email, mention
            user.title, user.timezone, user.is_group_admin = title, timezone, is_admin
            if roles is not None:
                user.roles = roles
            if password is not None:
                user.password = password
            user.presence_show, user.presence_status = show, status
            user.touch()
            return user

    def delete_user(self, ref: User | int | str) -> User:
        """Mark a user deleted and take it out of every room."""
        with self.transaction():
            user = self.get_user(ref)
            user.is_deleted = True
            user.presence_show = None
            for room in self.rooms.values():
                if user.id in room.participants:
                    room.participants.remove(user.id)
                room.members.pop(user.id, None)
            for token in [t for t in self.tokens.values() if t.user_id == user.id]:
                if token.client_id is None:
                    del self.tokens[token.access_token]
            user.touch()
            return user

    def set_photo(self, ref: User | int | str, photo: bytes | None) -> User:
        """Replace (or with None, remove) a user's photo."""
        with self.transaction():
            user = self.get_user(ref)
            user.photo = photo
            user.touch()
            return user

    def check_password(self, username: str, password: str) -> User | None:
        """The user whose email (or id/@mention) and password match, else None."""
        with self.lock:
            user = self.find_user(username)
            if user is None or user.password is None or user.password != password:
                return None
            return user

    def mentioned_users(self, text: str) -> list[int]:
        """Ids of active users @mentioned in ``text`` (each once, in order of appearance)."""
        names = [m.lower() for m in re.findall(r"(?<![\w@])@(\w[\w.\-]*)", text)]
        with self.lock:
            by_name = {u.mention_name.lower(): u.id for u in self.list_users(include_guests=True)}
        return list(dict.fromkeys(by_name[n] for n in names if n in by_name))

    def _free_mention(self, wanted: str) -> str:
        taken = {u.mention_name.lower() for u in self.users.values() if not u.is_deleted}
        candidate, suffix = wanted, 1
        while candidate.lower() in taken:
            suffix += 1
            candidate = f"{wanted}{suffix}"
        return candidate

    def _check_unique(self, email: str, mention: str, own_id: int | None) -> None:
        for user in self.users.values():
            if user.id == own_id or user.is_deleted:
                continue
            if user.email.lower() == email.lower():
                raise ValidationError(f"The email address '{email}' is already in use")
            if user.mention_name.lower() == mention.lower():
                raise ValidationError(f"The mention name '{mention}' is already in use")


def _mention_from(name: str) -> str:
    compact = re.sub(r"[^\w.\-]", "", name)
    return compact or "user"
