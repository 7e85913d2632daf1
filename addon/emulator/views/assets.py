"""Images and pages the API links to: user photos, emoticons, avatars and guest-access pages.

Links in API responses point here, so a client that follows ``photo_url``, an emoticon ``url``
or a ``guest_access_url`` gets a real answer. Unauthenticated, like HipChat's CDN.
"""

from __future__ import annotations

import html
import struct
import zlib
from functools import cache

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from addon.emulator.exceptions import NotFoundError
from addon.emulator.web.auth import emulator

bp = Blueprint("assets", __name__)


@cache
def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def image(data: bytes | None, fallback: bytes) -> Response:
    """An image response; uploaded bytes are served as-is, with a sniffed content type."""
    payload = data or fallback
    kind = "image/png"
    if payload.startswith(b"\xff\xd8"):
        kind = "image/jpeg"
    elif payload.startswith(b"GIF8"):
        kind = "image/gif"
    return Response(payload, mimetype=kind)


@bp.get("/emulator/photos/<int:user_id>/<size>")
def photo(user_id: int, size: str) -> ResponseReturnValue:
    """A user's photo (``small`` 36px or ``big`` 125px default avatar)."""
    state = emulator()
    with state.lock:
        user = state.users.get(user_id)
        if user is None or size not in ("small", "big"):
            raise NotFoundError("Photo not found")
        data = user.photo
    side = 36 if size == "small" else 125
    return image(data, solid_png(side, side, (32, 80, 129)))


@bp.get("/emulator/emoticons/<int:emoticon_id>.png")
def emoticon(emoticon_id: int) -> ResponseReturnValue:
    """An emoticon image."""
    state = emulator()
    with state.lock:
        found = state.emoticons.get(emoticon_id)
        if found is None:
            raise NotFoundError("Emoticon not found")
        width, height = found.width, found.height
    return image(None, solid_png(width, height, (250, 200, 40)))


@bp.get("/emulator/avatars/room/<int:room_id>")
def room_avatar(room_id: int) -> ResponseReturnValue:
    """A room's avatar."""
    state = emulator()
    with state.lock:
        room = state.rooms.get(room_id)
        if room is None:
            raise NotFoundError("Room not found")
        data = room.avatar
    return image(data, solid_png(64, 64, (90, 90, 90)))


@bp.get("/emulator/avatars/group/<int:group_id>")
def group_avatar(group_id: int) -> ResponseReturnValue:
    """The group's avatar."""
    state = emulator()
    if group_id != state.group.id:
        raise NotFoundError("Group not found")
    return image(state.group.avatar, solid_png(64, 64, (20, 120, 60)))


@bp.get("/g<token>")
def guest_page(token: str) -> ResponseReturnValue:
    """The guest-access URL of a room (§6.11): a small page echoing its query parameters."""
    state = emulator()
    with state.lock:
        room = next((r for r in state.rooms.values() if r.guest_token == token), None)
        if room is None:
            raise NotFoundError("Guest access is not enabled for this room")
        name = room.name
    params = "".join(
        f"<li>{html.escape(key)} = {html.escape(value)}</li>"
        for key, value in request.args.items(multi=True)
    )
    page = (
        "<!doctype html><title>Guest access</title>"
        f"<h1>Guest access to {html.escape(name)}</h1><ul>{params}</ul>"
    )
    return Response(page, mimetype="text/html")
