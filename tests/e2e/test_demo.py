"""``make run``'s demo: both servers start, the bot is installed into "Demo" and answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_installs_the_bot_and_it_answers(tmp_path):
    emulator_port, addon_port = free_port(), free_port()
    env = {
        **os.environ,
        "ADDON_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ADDON_SECRET_KEY", None)
    env.pop("ADDON_BASE_URL", None)
    env.pop("ADDON_TRUSTED_HOSTS", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "addon.demo",
            "--emulator-port",
            str(emulator_port),
            "--addon-port",
            str(addon_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Open"):
                break
        output = "".join(lines)
        assert "Open" in output, output
        url = output.split("Open", 1)[1].split()[-1]
        assert url.startswith(f"http://127.0.0.1:{emulator_port}/")
        base = f"http://127.0.0.1:{emulator_port}"
        rooms = requests.get(f"{base}/emulator/api/seed", timeout=5)
        assert rooms.status_code == 200
        said = requests.post(
            f"{base}/emulator/api/rooms/Demo/messages",
            json={"user": "@bob", "message": "/deploy staging"},
            timeout=10,
        )
        assert said.status_code in (200, 201), said.text
        texts: list[str] = []
        for _ in range(50):
            token = requests.post(
                f"{base}/emulator/api/tokens", json={"scopes": ["view_messages"]}, timeout=5
            ).json()["access_token"]
            history = requests.get(
                f"{base}/v2/room/Demo/history", params={"auth_token": token}, timeout=5
            ).json()
            texts = [m["message"] for m in history["items"] if m["type"] == "notification"]
            if "staging deployed" in texts:
                break
            time.sleep(0.1)
        assert "Deploy of staging requested by Bob Builder" in texts
        assert "staging deployed" in texts
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
