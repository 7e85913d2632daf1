"""``install DESCRIPTOR_URL [--room NAME|ID]``: install an add-on into a running emulator.

Prints one line naming the installation; exits 1 with the emulator's words on failure.
"""

from __future__ import annotations

import argparse
import sys

from addon.emulator.commands._remote import RemoteError, add_emulator_option, admin_call

NAME = "install"
HELP = "install an add-on from its descriptor URL into a running emulator"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the descriptor URL, --room and --emulator."""
    parser.add_argument("descriptor_url", help="URL of the add-on's capabilities descriptor")
    parser.add_argument("--room", default=None, help="room name or id (default: global install)")
    add_emulator_option(parser)


def run(args: argparse.Namespace) -> int:
    """POST /emulator/api/installations and report the result."""
    room: int | str | None = args.room
    if isinstance(room, str) and room.isdigit():
        room = int(room)
    try:
        data = admin_call(
            "POST",
            args.emulator,
            "installations",
            json={"descriptor_url": args.descriptor_url, "room": room},
            timeout=args.timeout,
        )
    except RemoteError as exc:
        print(f"install failed: {exc}", file=sys.stderr)
        return 1
    where = f"into room {data.get('room_id')}" if data.get("room_id") is not None else "globally"
    hooks = len(data.get("webhooks") or [])
    print(
        f"installed {data.get('key')} ({data.get('name')}) {where}: "
        f"oauthId {data.get('oauthId')}, {hooks} webhook(s)",
        flush=True,
    )
    return 0
