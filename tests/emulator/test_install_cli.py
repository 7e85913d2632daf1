"""``python -m addon.emulator install|uninstall`` against a served emulator and a fake add-on."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from addon.emulator.cli import build_parser, main
from addon.testing import LiveServer
from tests.emulator import fake_addon
from tests.emulator.helpers import Hub

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m addon.emulator *args`` to completion."""
    env = {key: value for key, value in os.environ.items() if key != "EMULATOR_URL"}
    return subprocess.run(
        [sys.executable, "-m", "addon.emulator", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_install_then_uninstall_in_a_subprocess(
    make_hub: Callable[..., Hub], serve_app: Callable[..., LiveServer]
) -> None:
    hub = make_hub()
    fake = fake_addon.serve(serve_app)
    done = cli("install", fake.descriptor_url, "--room", "Lobby", "--emulator", hub.url)
    assert done.returncode == 0, done.stderr
    [installation] = hub.admin("GET", "installations").json()["items"]
    oauth_id = installation["oauthId"]
    assert done.stdout.splitlines() == [
        f"installed com.example.fake (Fake Add-on) into room 1: oauthId {oauth_id}, 5 webhook(s)"
    ]
    assert fake.installs[0]["roomId"] == 1
    done = cli("uninstall", oauth_id, "--emulator", hub.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"uninstalled {oauth_id} (add-on answered 204)"]
    assert [u["oauth_id"] for u in fake.uninstalls] == [oauth_id]


def test_failures_are_one_line_and_non_zero(
    make_hub: Callable[..., Hub],
    serve_app: Callable[..., LiveServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub = make_hub()
    fake = fake_addon.serve(serve_app)
    assert main(["install", f"{fake.url}/missing", "--emulator", hub.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("install failed: HTTP 502: The descriptor at")
    assert "HTTP 404" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["uninstall", "no-such-id", "--emulator", hub.url]) == 1
    assert capsys.readouterr().err == "uninstall failed: HTTP 404: Installation not found\n"
    fake.delete_answer = (503, "maintenance")
    assert main(["install", fake.descriptor_url, "--emulator", hub.url]) == 0
    out = capsys.readouterr().out
    assert "globally" in out
    oauth_id = hub.admin("GET", "installations").json()["items"][0]["oauthId"]
    assert main(["uninstall", oauth_id, "--emulator", hub.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"uninstalled {oauth_id}, but the add-on was not told:")
    assert "HTTP 503: maintenance" in err


def test_unreachable_emulator(
    serve_app: Callable[..., LiveServer], capsys: pytest.CaptureFixture[str]
) -> None:
    gone = serve_app(fake_addon.FakeAddon().app)
    url = gone.url
    gone.stop()
    assert main(["uninstall", "x", "--emulator", url, "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"uninstall failed: cannot reach the emulator at {url}")


def test_install_arguments() -> None:
    args = build_parser().parse_args(["install", "http://a/descriptor", "--room", "7"])
    assert (args.command, args.descriptor_url, args.room) == ("install", "http://a/descriptor", "7")
    assert args.emulator.startswith("http")
