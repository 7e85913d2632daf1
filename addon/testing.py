"""Pytest plugin: serve the emulator and add-ons on real sockets on 127.0.0.1.

Registered through the ``pytest11`` entry point, so any project that installs this package gets
the fixtures. Servers run in a background thread with Werkzeug's threaded server; each binds a
free port chosen by the kernel, so tests never collide on ports.
"""

from __future__ import annotations

import os
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
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


def serve_built(build: Callable[[str], Any], host: str = "127.0.0.1") -> LiveServer:
    """Bind a free port first, then build the app with its own URL, then serve it.

    An add-on must know its public URL (``ADDON_BASE_URL``) when it is created, and a free port
    is only known once bound: ``build(url)`` gets ``http://127.0.0.1:PORT``.
    """
    server = make_server(host, 0, _unready, threaded=True)
    app = build(f"http://{host}:{server.port}")
    server.app = app
    return LiveServer(app=app, server=server)


def _unready(environ: Any, start_response: Any) -> list[bytes]:  # never served: replaced first
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


#: The PostgreSQL server tests create their throw-away databases on (trust auth, as in CI).
POSTGRES_SERVER_URL = os.environ.get(
    "ADDON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: The Redis tests use; each test takes its own random key prefix and deletes its keys.
REDIS_TEST_URL = os.environ.get("ADDON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Database backends the ``addon_database_url`` fixture runs a test on.
BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the parametrised fixtures put on their PostgreSQL/Redis runs."""
    config.addinivalue_line("markers", "postgres: runs against the PostgreSQL service")
    config.addinivalue_line("markers", "redis: runs against the Redis service")


@contextmanager
def temporary_postgres_database(server_url: str = POSTGRES_SERVER_URL) -> Iterator[str]:
    """Create a PostgreSQL database with a random name, yield its URL, drop it afterwards."""
    import psycopg
    from sqlalchemy import make_url

    server = make_url(server_url)
    name = f"addon_test_{uuid.uuid4().hex[:12]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(backend: str, directory: Path) -> Iterator[str]:
    """An empty database URL on ``backend`` ("sqlite": a file in ``directory``; "postgres")."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'addon-{uuid.uuid4().hex[:8]}.db'}"
    elif backend == "postgres":
        with temporary_postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown database backend {backend!r}; expected one of {BACKENDS}")


@pytest.fixture(params=[pytest.param(b, marks=getattr(pytest.mark, b)) for b in BACKENDS])
def addon_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty (not migrated) database, once per backend: SQLite and a throw-away PostgreSQL."""
    with temporary_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A random Redis key prefix; every key under it is deleted when the test ends."""
    import redis

    prefix = f"addon-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_TEST_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


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


class EmulatorHandle:
    """A served emulator and the calls tests make most: tokens, installs, messages, history."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.http = requests.Session()

    @property
    def state(self) -> Any:
        """The emulator's in-memory state (``addon.emulator.state.Emulator``)."""
        return self.live.app.extensions["emulator"]

    @property
    def url(self) -> str:
        """The emulator's base URL, without a trailing slash."""
        return self.live.url

    @property
    def api_url(self) -> str:
        """The REST API base, ``{url}/v2/``."""
        return f"{self.live.url}/v2/"

    @property
    def host(self) -> str:
        """``host:port``, as ADDON_TRUSTED_HOSTS wants it."""
        return f"{self.live.host}:{self.live.port}"

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the unauthenticated admin API under ``/emulator/api/``."""
        return self.http.request(method, f"{self.url}/emulator/api/{path.lstrip('/')}", **kwargs)

    def token(self, *scopes: str, user: int | str | None = None) -> str:
        """A fresh token with ``scopes`` (default: every scope), acting as ``user``."""
        body: dict[str, Any] = {"scopes": list(scopes) or None}
        if user is not None:
            body["user"] = user
        response = self.admin("POST", "tokens", json={k: v for k, v in body.items() if v})
        response.raise_for_status()
        return str(response.json()["access_token"])

    def client(self, *scopes: str, user: int | str | None = None) -> Any:
        """An ``addon.hipchat.HipChat`` client with a fresh token."""
        from addon.hipchat import HipChat

        return HipChat(token=self.token(*scopes, user=user), base_url=self.api_url)

    def install(self, descriptor_url: str, room: int | str | None = None) -> dict[str, Any]:
        """Install an add-on by descriptor URL; fails the test with the emulator's words."""
        response = self.admin(
            "POST", "installations", json={"descriptor_url": descriptor_url, "room": room}
        )
        if response.status_code != 201:
            raise AssertionError(f"install failed: {response.status_code} {response.text}")
        return dict(response.json())

    def uninstall(self, oauth_id: str) -> requests.Response:
        """Uninstall an installation the way HipChat does (client deleted, then DELETE sent)."""
        return self.admin("DELETE", f"installations/{oauth_id}")

    def say(self, room: int | str, message: str, user: int | str = "@ada") -> dict[str, Any]:
        """Post ``message`` in ``room`` as ``user``; webhooks fire as in HipChat."""
        response = self.admin(
            "POST", f"rooms/{room}/messages", json={"user": user, "message": message}
        )
        response.raise_for_status()
        return dict(response.json()) if response.content else {}

    def fault(
        self,
        path: str,
        *,
        status: int | None = None,
        delay: float = 0.0,
        reset: bool = False,
        after: bool = False,
        count: int = 1,
        method: str | None = None,
    ) -> dict[str, Any]:
        """Make the next ``count`` /v2 calls matching ``path`` (a regex) stall ``delay`` s, then
        answer ``status`` or drop the connection (``reset``); ``after=True`` lets the call do
        its work first (the message is posted, only the answer goes wrong)."""
        spec: dict[str, Any] = {"path": path, "count": count, "reset": reset, "after": after}
        if status is not None:
            spec["status"] = status
        if delay:
            spec["delay"] = delay
        if method is not None:
            spec["method"] = method
        response = self.admin("POST", "faults", json=spec)
        if response.status_code != 201:
            raise AssertionError(f"fault refused: {response.status_code} {response.text}")
        return dict(response.json())

    def history(self, room: int | str) -> list[dict[str, Any]]:
        """Every message and notification in ``room``, oldest first."""
        return list(self.client("view_messages").room(room).iter_history())

    def requests_to(self, path_regex: str, method: str | None = None) -> list[dict[str, Any]]:
        """Journal entries of /v2 requests whose path matches ``path_regex``."""
        import re

        items = self.admin("GET", "requests").json()["items"]
        return [
            item
            for item in items
            if re.search(path_regex, item["path"]) and (method is None or item["method"] == method)
        ]

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every webhook delivery in flight has finished."""
        wait = getattr(self.state, "wait_idle", None)
        if wait is not None:
            wait(timeout)


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    """A fresh, seeded emulator served on a free port for this test."""
    from addon.emulator import create_app

    live = serve(create_app())
    handle = EmulatorHandle(live)
    yield handle
    handle.wait_idle()
    live.stop()


@pytest.fixture
def serve_addon(
    tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorHandle
) -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``serve_addon(create_app)`` serves an add-on that trusts this test's emulator.

    ``create_app(config)`` gets ADDON_BASE_URL (its own URL), ADDON_TRUSTED_HOSTS (the
    emulator), a fresh migrated SQLite database and a secret key; extra keyword arguments are
    added to that config. ``database_url=`` (e.g. the ``addon_database_url`` fixture) replaces
    the SQLite database; it is migrated before the add-on serves.
    """
    from addon.extension import EXTENSION_KEY
    from addon.store import migrate

    started: list[LiveServer] = []

    def factory(
        create_app: Callable[[dict[str, Any]], Any],
        database_url: str | None = None,
        **config: Any,
    ) -> LiveServer:
        if database_url is None:
            database_url = f"sqlite:///{tmp_path_factory.mktemp('addon') / 'addon.db'}"

        def build(url: str) -> Any:
            app = create_app(
                {
                    "ADDON_BASE_URL": url,
                    "ADDON_TRUSTED_HOSTS": emulator.host,
                    "ADDON_DATABASE_URL": database_url,
                    "ADDON_SECRET_KEY": "test-secret-key",
                    **config,
                }
            )
            migrate.upgrade(app.extensions[EXTENSION_KEY].settings.database_url)
            return app

        live = serve_built(build)
        started.append(live)
        return live

    yield factory
    for live in reversed(started):
        live.stop()
        runtime = live.app.extensions.get(EXTENSION_KEY)
        if runtime is not None:
            runtime.close()  # pooled connections must go before a test database is dropped
