"""Calling a running emulator's admin API from the command line (``install``, ``uninstall``).

Not a command itself (no ``NAME``): failures become ``RemoteError`` with a one-line message —
the emulator unreachable, or its error envelope's words with the HTTP status.
"""

from __future__ import annotations

import os
from typing import Any

import requests

DEFAULT_EMULATOR = os.environ.get("EMULATOR_URL") or "http://127.0.0.1:8080"


class RemoteError(Exception):
    """An admin API call failed; ``str()`` is one line for the terminal."""


def add_emulator_option(parser: Any) -> None:
    """``--emulator URL`` (default $EMULATOR_URL or http://127.0.0.1:8080) and ``--timeout``."""
    parser.add_argument(
        "--emulator",
        default=DEFAULT_EMULATOR,
        help=f"the running emulator's URL ({DEFAULT_EMULATOR})",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the emulator (60)"
    )


def admin_call(
    method: str, emulator: str, path: str, *, timeout: float, **kwargs: Any
) -> dict[str, Any]:
    """Call ``{emulator}/emulator/api/{path}`` and return its JSON object (``{}`` if empty)."""
    url = f"{emulator.rstrip('/')}/emulator/api/{path.lstrip('/')}"
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise RemoteError(f"cannot reach the emulator at {emulator}: {_reason(exc)}") from None
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = None
    if not response.ok:
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        text = message or " ".join(response.text.split())[:200] or response.reason
        raise RemoteError(f"HTTP {response.status_code}: {text}")
    if not isinstance(data, dict):
        raise RemoteError(f"unexpected answer from {url}: {response.text[:200]!r}")
    return data


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if "refused" in str(exc).lower():
        return "connection refused (is it running?)"
    return type(exc).__name__
