"""Calls from the emulator to an add-on (descriptor, install callback, webhooks), and how their
failures are put into words: the add-on's status and a snippet of its body, or the network error.

Errors are never swallowed: they become a 502 envelope (``AddonError``) or a delivery-log entry.
"""

from __future__ import annotations

from typing import Any

import requests

from addon.emulator.exceptions import ApiError

USER_AGENT = "HipChat-Emulator (addon.emulator)"
SNIPPET_CHARS = 200


class AddonError(ApiError):
    """The add-on failed a call the emulator made to it (502 Bad Gateway)."""

    status = 502


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters (an ellipsis marks the cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_response(response: requests.Response) -> str:
    """``HTTP 500: <body snippet>`` (or ``HTTP 500 with an empty body``)."""
    body = snippet(response.text or "")
    if not body:
        return f"HTTP {response.status_code} with an empty body"
    return f"HTTP {response.status_code}: {body}"


def describe_exception(exc: requests.RequestException, timeout: float) -> str:
    """A short reason for a failed call: timed out, connection refused, or the error text."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout:g} s (timed out)"
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed: {snippet(text)}"
    return f"{type(exc).__name__}: {snippet(text)}"


def call(method: str, url: str, *, timeout: float, **kwargs: Any) -> requests.Response:
    """One HTTP request to an add-on with our User-Agent; redirects are not followed unless
    ``allow_redirects=True``. Raises ``requests.RequestException``; callers word it."""
    headers = {"User-Agent": USER_AGENT, **(kwargs.pop("headers", None) or {})}
    kwargs.setdefault("allow_redirects", False)
    return requests.request(method, url, timeout=timeout, headers=headers, **kwargs)
