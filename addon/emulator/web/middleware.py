"""WSGI middleware that tolerates sloppy API URLs: ``//`` in paths and trailing slashes.

Clients join an API base ending in ``/`` with ``/room/...`` (HIPCHAT.md §1.8, §8), so repeated
slashes are collapsed before routing. The path as sent is kept in
``environ["emulator.raw_path"]`` so the capabilities document can echo its exact URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_SLASHES = re.compile(r"/{2,}")


def raw_path(environ: dict[str, Any]) -> str | None:
    """The request path exactly as sent (still percent-encoded), from RAW_URI/REQUEST_URI.

    Werkzeug's development server reads a leading ``//`` as an authority and drops it from
    PATH_INFO, so the raw request target is the only faithful record."""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not target:
        return None
    if "://" in target.split("?", 1)[0]:
        target = urlsplit(target).path or "/"
    return target.split("?", 1)[0] or "/"


class SlashTolerantMiddleware:
    """Collapse runs of ``/`` in PATH_INFO and drop a trailing ``/`` (except for ``/``)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        environ["emulator.raw_path"] = raw_path(environ) or path
        clean = _SLASHES.sub("/", path)
        if len(clean) > 1 and clean.endswith("/"):
            clean = clean.rstrip("/") or "/"
        environ["PATH_INFO"] = clean
        return self.app(environ, start_response)
