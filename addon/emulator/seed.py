"""The emulator's seed data: what a fresh emulator contains unless EMULATOR_EMPTY / ``--empty``.

- Group 1, "Emulated Group".
- Users (id, name, @mention, email, password):
    1  Ada Admin     @ada    ada@example.com    ada-password    group owner and admin
    2  Bob Builder   @bob    bob@example.com    bob-password
    3  Carol Chen    @carol  carol@example.com  carol-password
- Rooms:
    1  "Lobby"       public,  owner Ada, topic "Welcome to the emulated HipChat",
                     participants Ada and Bob
    2  "Secret Lab"  private, owner Ada, members Ada (room_admin) and Bob (room_member),
                     participant Ada
- Emoticons: 1 (allthethings) global, 2 (awthanks) global, 3 (shipit) group, created by Ada.

Passwords work with the token endpoint's ``personal`` and ``password`` grants (username = email).
Seeding writes records directly, so it publishes no room events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from addon.emulator.state.models import Room, User

if TYPE_CHECKING:  # pragma: no cover
    from addon.emulator.state import Emulator

SEED_USERS: tuple[dict[str, Any], ...] = (
    {
        "name": "Ada Admin",
        "mention_name": "ada",
        "email": "ada@example.com",
        "password": "ada-password",
        "title": "Group Owner",
        "is_group_admin": True,
        "roles": ["owner", "admin", "user"],
    },
    {
        "name": "Bob Builder",
        "mention_name": "bob",
        "email": "bob@example.com",
        "password": "bob-password",
        "title": "Developer",
    },
    {
        "name": "Carol Chen",
        "mention_name": "carol",
        "email": "carol@example.com",
        "password": "carol-password",
        "title": "Designer",
        "timezone": "Europe/Berlin",
    },
)

SEED_ROOMS: tuple[dict[str, Any], ...] = (
    {
        "name": "Lobby",
        "privacy": "public",
        "topic": "Welcome to the emulated HipChat",
        "participants": [1, 2],
        "members": {},
    },
    {
        "name": "Secret Lab",
        "privacy": "private",
        "topic": "Members only",
        "participants": [1],
        "members": {1: ["room_admin"], 2: ["room_member"]},
    },
)

SEED_EMOTICONS: tuple[dict[str, Any], ...] = (
    {"shortcut": "allthethings", "type": "global"},
    {"shortcut": "awthanks", "type": "global"},
    {"shortcut": "shipit", "type": "group", "creator_id": 1, "width": 40, "height": 30},
)


def seed(emulator: Emulator) -> dict[str, Any]:
    """Fill an empty emulator with the seed data above and return a description of it
    (users with their passwords, rooms, emoticons) for tests and the admin API."""
    with emulator.transaction():
        users = []
        for spec in SEED_USERS:
            user = User(id=next(emulator.user_ids), **spec)
            emulator.users[user.id] = user
            users.append({key: spec[key] for key in ("name", "mention_name", "email", "password")})
            users[-1]["id"] = user.id
        owner_id = users[0]["id"]
        rooms = []
        for spec in SEED_ROOMS:
            room = Room(
                id=next(emulator.room_ids),
                name=spec["name"],
                owner_id=owner_id,
                privacy=spec["privacy"],
                topic=spec["topic"],
                participants=list(spec["participants"]),
                members={uid: list(roles) for uid, roles in spec["members"].items()},
            )
            emulator.rooms[room.id] = room
            rooms.append({"id": room.id, "name": room.name, "privacy": room.privacy})
        emoticons = []
        for spec in SEED_EMOTICONS:
            emoticon = emulator.add_emoticon(**spec)
            emoticons.append({"id": emoticon.id, "shortcut": emoticon.shortcut})
        return {
            "group": {"id": emulator.group.id, "name": emulator.group.name},
            "users": users,
            "rooms": rooms,
            "emoticons": emoticons,
        }
