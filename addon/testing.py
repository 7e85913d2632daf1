"""Pytest plugin: serve the emulator and add-ons on real sockets on 127.0.0.1.

Registered through the ``pytest11`` entry point, so any project that installs this package gets
the fixtures. Servers run in a background thread with Werkzeug's threaded server; each binds a
free port chosen by the kernel, so tests never collide on ports.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class LiveServer:
    """A WSGI app served in a background thread; ``url`` has no trailing slash."""

    app: Any
    server: BaseWSGIServer
    scheme: str = "http"
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def host(self) -> str:
        return str(self.server.host)

    @property
    def port(self) -> int:
        return int(self.server.port)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and release the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(
    app: Any, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
) -> LiveServer:
    """Serve ``app`` on ``host:port`` (port 0 = a free one) and return at once."""
    server = make_server(host, port, app, threaded=True, ssl_context=ssl_context)
    return LiveServer(app=app, server=server, scheme="https" if ssl_context else "http")


@pytest.fixture
def serve_app() -> Iterator[Callable[..., LiveServer]]:
    """Factory fixture: ``serve_app(app)`` serves an app until the test ends."""
    started: list[LiveServer] = []

    def factory(app: Any, **kwargs: Any) -> LiveServer:
        live = serve(app, **kwargs)
        started.append(live)
        return live

    yield factory
    for live in reversed(started):
        live.stop()
