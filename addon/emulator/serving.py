"""Serving the emulator with Werkzeug's threaded server, tolerant of unencoded request lines.

Some clients put raw spaces in query strings; Python's HTTP parser would reject such a request
line ("Bad request syntax"), so the handler re-encodes them before parsing.
"""

from __future__ import annotations

import ssl
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class TolerantRequestHandler(WSGIRequestHandler):
    """A request handler that accepts spaces inside the request target."""

    def parse_request(self) -> bool:
        """Re-encode spaces in the target of ``METHOD target HTTP/x.y``, then parse."""
        line = self.raw_requestline.rstrip(b"\r\n")
        words = line.split(b" ")
        if len(words) > 3 and words[-1].startswith(b"HTTP/"):
            target = b"%20".join(word for word in words[1:-1] if word)
            self.raw_requestline = b" ".join((words[0], target, words[-1])) + b"\r\n"
        return super().parse_request()


def make_emulator_server(
    app: Any, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> BaseWSGIServer:
    """A threaded Werkzeug server for ``app`` (port 0 = any free port), not yet serving."""
    return make_server(
        host,
        port,
        app,
        threaded=True,
        ssl_context=ssl_context,
        request_handler=TolerantRequestHandler,
    )
