"""WSGI middleware: sloppy API URLs (``//`` in paths, trailing slashes) and dropped connections.

Clients join an API base ending in ``/`` with ``/room/...`` (HIPCHAT.md §1.8, §8), so repeated
slashes are collapsed before routing. The path as sent is kept in
``environ["emulator.raw_path"]`` so the capabilities document can echo its exact URL. A request
marked ``environ[RESET_KEY]`` (a ``reset`` fault) gets no answer at all: its connection is dropped.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_SLASHES = re.compile(r"/{2,}")
#: Set in the WSGI environ by the fault hooks: drop this request's connection unanswered.
RESET_KEY = "emulator.reset"


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


class ConnectionDropMiddleware:
    """Answer nothing to a request marked ``RESET_KEY``: the server sees the connection drop.

    The socket is shut down under the server (SO_LINGER 0 first, so the peer sees a reset where
    the platform allows), then ``ConnectionResetError`` makes Werkzeug's server (and gunicorn)
    treat it as a dropped connection, quietly."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        body = self.app(environ, start_response)
        if not environ.get(RESET_KEY):
            return body
        if hasattr(body, "close"):
            body.close()
        sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
        if isinstance(sock, socket.socket):
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)  # ends a keep-alive loop waiting on it too
            except OSError:
                pass  # already gone: dropped either way
        raise ConnectionResetError("connection reset by an injected fault")
