"""The emulator as the benchmarks' HipChat: a subprocess that also counts TCP connections.

``python bench/emulator_server.py PORT`` serves ``addon.emulator`` (settings from EMULATOR_*
environment variables, e.g. raised rate and flood limits) on 127.0.0.1:PORT with the emulator's
own threaded Werkzeug server, which closes every connection after one response; ``gunicorn -w 1
-k gthread 'emulator_server:build()'`` serves the same app with HTTP keep-alive. Either way a
WSGI middleware records each request's client (REMOTE_ADDR, REMOTE_PORT): one client port is one
TCP connection. ``GET /bench/connections`` lists them for /v2 requests; ``DELETE`` clears them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from addon.emulator import create_app
from addon.emulator.serving import make_emulator_server

StartResponse = Callable[..., Any]


class ConnectionLog:
    """WSGI middleware: remembers which client ports sent /v2 requests, and how many each."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.ports: dict[str, int] = {}
        self.spans: dict[str, list[float]] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/bench/connections":
            return self.answer(environ, start_response)
        if path.startswith("/v2/"):
            client = f"{environ.get('REMOTE_ADDR')}:{environ.get('REMOTE_PORT')}"
            now = time.time()
            with self.lock:
                self.ports[client] = self.ports.get(client, 0) + 1
                self.spans.setdefault(client, [now, now])[1] = now
        return self.app(environ, start_response)

    def answer(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """GET: the clients and their request counts; DELETE: forget them."""
        with self.lock:
            if environ.get("REQUEST_METHOD") == "DELETE":
                self.ports.clear()
                self.spans.clear()
            body = json.dumps({"connections": dict(self.ports), "spans": self.spans}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def build() -> Any:
    """The emulator app with the connection log in front (a gunicorn app factory)."""
    app = create_app()
    app.wsgi_app = ConnectionLog(app.wsgi_app)  # type: ignore[method-assign]
    return app


def main() -> int:
    """Serve until terminated."""
    port = int(sys.argv[1])
    app = build()
    server = make_emulator_server(app, "127.0.0.1", port)
    print(f"emulator on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
