"""``python -m addon.emulator``: argument parsing and a real process that serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from addon.emulator.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, **kwargs: object) -> requests.Response:
    """GET ``url`` until the server accepts connections (15 s at most)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return requests.get(url, timeout=2, **kwargs)  # type: ignore[arg-type]
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_emulator(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m addon.emulator *args`` from the repository root."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("EMULATOR_EMPTY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "addon.emulator", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    """Terminate the process (kill if it lingers) and return its remaining stdout."""
    process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out


def test_parser_defaults_to_serve() -> None:
    parser = build_parser()
    args = parser.parse_args(["serve"])
    assert (args.host, args.port, args.tls, args.empty) == ("127.0.0.1", 8080, False, False)
    assert args.command == "serve"


def test_help_lists_serve(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "serve" in capsys.readouterr().out


def test_module_serves_and_prints_its_url() -> None:
    port = free_port()
    process = run_emulator("--port", str(port))
    try:
        response = wait_for(f"http://127.0.0.1:{port}/v2/capabilities")
        assert response.status_code == 200
        assert response.json()["links"]["self"] == f"http://127.0.0.1:{port}/v2/capabilities"
        state = requests.get(f"http://127.0.0.1:{port}/emulator/api/state", timeout=5).json()
        assert [r["name"] for r in state["rooms"]] == ["Lobby", "Secret Lab"]
    finally:
        out = stop(process)
    assert f"http://127.0.0.1:{port}/" in out


def test_module_serve_tls_and_empty(tmp_path: Path) -> None:
    port = free_port()
    process = run_emulator(
        "serve", "--port", str(port), "--tls", "--empty", "--cert-dir", str(tmp_path)
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(4)]
        assert f"https://127.0.0.1:{port}/" in banner[0]
        cert = tmp_path / "emulator-cert.pem"
        assert str(cert) in banner[3]
        response = wait_for(f"https://127.0.0.1:{port}/emulator/api/state", verify=str(cert))
        assert response.json()["rooms"] == []
    finally:
        stop(process)
