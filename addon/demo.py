"""``make run``: the emulator and an add-on side by side, the add-on installed into a demo room.

``python -m addon.demo --app wsgi:app`` migrates the add-on's database, serves the emulator and
the add-on on 127.0.0.1, installs the add-on into the room "Demo" and prints where to look.
Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from typing import Any

import requests

from addon.testing import LiveServer, serve

DEV_SECRET = "dev-only-secret-do-not-use-in-production"


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` the way gunicorn does."""
    module_name, _, attribute = spec.partition(":")
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    return getattr(module, attribute or "app")


def ensure_room(emulator_url: str, name: str) -> int:
    """The id of room ``name`` in the emulator, created when missing."""
    admin = requests.post(
        f"{emulator_url}/emulator/api/tokens",
        json={"scopes": ["manage_rooms", "view_group"]},
        timeout=10,
    )
    admin.raise_for_status()
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    found = requests.get(f"{emulator_url}/v2/room/{name}", headers=headers, timeout=10)
    if found.status_code == 200:
        return int(found.json()["id"])
    created = requests.post(
        f"{emulator_url}/v2/room",
        json={"name": name, "topic": "Try /deploy staging"},
        headers=headers,
        timeout=10,
    )
    created.raise_for_status()
    return int(created.json()["id"])


def main(argv: list[str] | None = None) -> int:
    """Run the demo until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m addon.demo", description=__doc__)
    parser.add_argument("--app", default="wsgi:app", help="the add-on, as module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--emulator-port", type=int, default=8080)
    parser.add_argument("--addon-port", type=int, default=5000)
    parser.add_argument("--room", default="Demo")
    args = parser.parse_args(argv)

    emulator_url = f"http://{args.host}:{args.emulator_port}"
    addon_url = f"http://{args.host}:{args.addon_port}"
    os.environ.setdefault("ADDON_BASE_URL", addon_url)
    os.environ.setdefault("ADDON_SECRET_KEY", DEV_SECRET)
    os.environ.setdefault("ADDON_TRUSTED_HOSTS", f"{args.host}:{args.emulator_port}")

    from addon.emulator import create_app
    from addon.extension import EXTENSION_KEY
    from addon.store import migrate

    addon_app = load_app(args.app)
    migrate.upgrade(addon_app.extensions[EXTENSION_KEY].settings.database_url)

    servers: list[LiveServer] = []
    try:
        servers.append(serve(create_app(), host=args.host, port=args.emulator_port))
        servers.append(serve(addon_app, host=args.host, port=args.addon_port))
        room_id = ensure_room(emulator_url, args.room)
        installed = requests.post(
            f"{emulator_url}/emulator/api/installations",
            json={"descriptor_url": f"{addon_url}/addon/descriptor", "room": room_id},
            timeout=30,
        )
        if installed.status_code != 201:
            print(f"install failed: {installed.status_code} {installed.text}", file=sys.stderr)
            return 1
        print(f"HipChat emulator:  {emulator_url}/rooms/{room_id}")
        print(f"Add-on:            {addon_url}/addon/descriptor")
        print("Say something as a user (Ctrl-C stops both servers):")
        print(
            f"  curl -s -X POST {emulator_url}/emulator/api/rooms/{room_id}/messages "
            "-H 'Content-Type: application/json' "
            '-d \'{"user": "@alice", "message": "/deploy staging"}\''
        )
        reader = requests.post(
            f"{emulator_url}/emulator/api/tokens", json={"scopes": ["view_messages"]}, timeout=10
        ).json()["access_token"]
        print(f"  curl -s '{emulator_url}/v2/room/{room_id}/history?auth_token={reader}'")
        print(f"Open {emulator_url}/rooms/{room_id}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        return 0
    finally:
        for server in reversed(servers):
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
