"""``Addon``: the Flask extension that turns an app into a HipChat add-on.

``Addon`` holds what the code declares (who the add-on is, its handlers, its configure page);
``Runtime`` holds what one Flask app needs to serve it (settings, database, tokens, HTTP
connections). One ``Addon`` may serve several apps, as Flask extensions do.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from flask import Flask, current_app
from sqlalchemy import bindparam, select

from addon import descriptor as descriptors
from addon.background import Job, RqRunner, Runner, ThreadRunner
from addon.config import Settings, load_settings
from addon.dispatch import HandlerFunc, Registry
from addon.hipchat import HipChat
from addon.outbox import Sender
from addon.ssrf import guard_session
from addon.store import Installation, Store
from addon.store.redis_cache import RedisTokenCache
from addon.tokens import TokenManager
from addon.ttlcache import TTLCache

EXTENSION_KEY = "addon"
#: Seconds a worker keeps an installation row in memory (see ``Runtime.installation``).
INSTALLATION_TTL = 10.0
#: Seconds a decrypted secret is kept; entries per cache.
SECRET_TTL = 3600.0
#: Installations cached per process: 10,000 fit (under 1 KiB each with their secret).
CACHE_SIZE = 16384
SECRET_CACHE_SIZE = 1024

ConfigureFunc = Callable[..., Any]


_SELECT_INSTALLATION = select(Installation.__table__).where(
    Installation.__table__.c.oauth_id == bindparam("oauth_id")
)


@dataclass(frozen=True, slots=True)
class InstallationRecord:
    """An installation row as plain immutable data, for the in-process cache: a fraction of a
    detached ORM object's memory, and safe to share between threads. Read-only look-alike of
    ``Installation`` (same attributes, ``scope_list`` and ``is_global``)."""

    oauth_id: str
    oauth_secret_encrypted: str
    group_id: int
    group_name: str | None
    room_id: int | None
    capabilities_url: str
    token_url: str
    api_url: str
    scopes: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> InstallationRecord:
        """Copy ``row`` (ORM object or Core row); text most installations share (URLs, scopes,
        group) is kept once."""
        return cls(
            oauth_id=row.oauth_id,
            oauth_secret_encrypted=row.oauth_secret_encrypted,
            group_id=row.group_id,
            group_name=None if row.group_name is None else sys.intern(row.group_name),
            room_id=row.room_id,
            capabilities_url=sys.intern(row.capabilities_url),
            token_url=sys.intern(row.token_url),
            api_url=sys.intern(row.api_url),
            scopes=sys.intern(row.scopes or ""),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def scope_list(self) -> list[str]:
        """The granted scopes as a list, in stored order."""
        return self.scopes.split() if self.scopes else []

    @property
    def is_global(self) -> bool:
        """True for a group-wide installation, False for one installed into a single room."""
        return self.room_id is None


@dataclass
class Runtime:
    """Everything one app needs at request time; built once by ``init_app``."""

    addon: Addon
    settings: Settings
    store: Store
    tokens: TokenManager
    http: requests.Session
    _runner: Runner | None = field(default=None, repr=False)
    _outbox: Sender | None = field(default=None, repr=False)
    _descriptor_json: bytes | None = field(default=None, repr=False)
    _generation: int = field(default=-1, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: Installations and their secrets in clear by oauth_id, for INSTALLATION_TTL seconds (per
    #: process: the time to live bounds how long another worker may still accept an
    #: installation after its uninstall). One entry per installation keeps 10,000 in ~6 MiB.
    _installations: TTLCache[str, tuple[InstallationRecord, str]] = field(
        default_factory=lambda: TTLCache(INSTALLATION_TTL, CACHE_SIZE), repr=False
    )
    #: Decrypted OAuth secrets by their ciphertext, for ``decrypt_secret``'s other callers.
    _secrets: TTLCache[str, str] = field(
        default_factory=lambda: TTLCache(SECRET_TTL, SECRET_CACHE_SIZE), repr=False
    )

    def descriptor(self) -> dict[str, Any]:
        """The descriptor for this app, built from the handlers registered so far."""
        return self.addon.build_descriptor(self.settings)

    def descriptor_json(self) -> bytes:
        """The descriptor, encoded once (it only changes when a handler is registered)."""
        with self._lock:
            if self._descriptor_json is None or self.addon.generation != self._generation:
                document = self.descriptor()
                descriptors.validate(self.addon.info, self.addon.registry, document)
                self._descriptor_json = json.dumps(document, indent=2).encode()
                self._generation = self.addon.generation
            return self._descriptor_json

    @property
    def background(self) -> Runner:
        """The runner of background handlers (a thread pool, or RQ with ADDON_BACKGROUND=rq)."""
        with self._lock:
            if self._runner is None:
                if self.settings.background == "rq" and self.settings.redis_url:
                    self._runner = RqRunner(
                        self.settings.redis_url,
                        self.settings.background_app,
                        self.settings.rq_queue,
                    )
                else:
                    self._runner = ThreadRunner(self.settings.background_workers)
            return self._runner

    @property
    def outbox(self) -> Sender:
        """The reply outbox's sender (its poller thread starts on first delivery)."""
        with self._lock:
            if self._outbox is None:
                self._outbox = Sender(self.store, self._outbox_client, self.settings)
            return self._outbox

    def reply_outbox(self) -> Sender | None:
        """The outbox replies go through, or None to send them directly (ADDON_OUTBOX off).
        Its poller is started here too, so a restarted worker picks up the rows an earlier
        process left pending as soon as it serves a webhook."""
        if not self.settings.outbox_enabled:
            return None
        sender = self.outbox
        sender.ensure_started()
        return sender

    def _outbox_client(self, oauth_id: str) -> HipChat | None:
        """A client for the outbox: the installation's token, no retries of its own."""
        installation = self.installation(oauth_id)
        if installation is None:
            return None
        client = self.client_for(installation)
        client.max_retries = 0  # the outbox owns retries, back-off and rate windows
        return client

    def defer(self, job: Job) -> None:
        """Hand ``job`` to the background runner (returns at once)."""
        self.background.submit(current_app._get_current_object(), job)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Finish background jobs, close pooled database and HTTP connections (at shutdown)."""
        with self._lock:
            runner, self._runner = self._runner, None
            outbox, self._outbox = self._outbox, None
        if isinstance(runner, ThreadRunner):
            runner.shutdown(wait=True)
        if outbox is not None:
            outbox.stop()
        self.store.dispose()
        self.http.close()

    def installation(self, oauth_id: str) -> InstallationRecord | None:
        """The stored installation with ``oauth_id``, or None (cached briefly when found)."""
        entry = self._installation_entry(oauth_id)
        return None if entry is None else entry[0]

    def webhook_auth(
        self,
    ) -> tuple[Callable[[str], InstallationRecord | None], Callable[[str], str]]:
        """A ``lookup`` and a ``decrypt`` for one request's ``auth`` call: the decrypt answers
        with the secret cached beside the installation the lookup just found."""
        found: list[tuple[InstallationRecord, str]] = []

        def lookup(oauth_id: str) -> InstallationRecord | None:
            entry = self._installation_entry(oauth_id)
            if entry is None:
                return None
            found.append(entry)
            return entry[0]

        def decrypt(ciphertext: str) -> str:
            for record, secret in found:
                if record.oauth_secret_encrypted == ciphertext:
                    return secret
            return self.decrypt_secret(ciphertext)

        return lookup, decrypt

    def _installation_entry(self, oauth_id: str) -> tuple[InstallationRecord, str] | None:
        """(installation, its secret in clear) from the cache, else from the database."""
        cached = self._installations.get(oauth_id)
        if cached is not None:
            return cached
        with self.store.engine.connect() as connection:  # Core: no ORM identity map or state
            row = connection.execute(_SELECT_INSTALLATION, {"oauth_id": oauth_id}).first()
        if row is None:
            return None
        record = InstallationRecord.from_row(row)
        entry = (record, self.store.box.decrypt(record.oauth_secret_encrypted))
        self._installations.put(oauth_id, entry)
        return entry

    def forget_installation(self, oauth_id: str) -> None:
        """Drop this process's cached copy of an installation (after install or uninstall)."""
        self._installations.pop(oauth_id)

    def decrypt_secret(self, ciphertext: str) -> str:
        """A stored secret in clear (``store.box.decrypt``, cached by ciphertext)."""
        secret = self._secrets.get(ciphertext)
        if secret is None:
            secret = self.store.box.decrypt(ciphertext)
            self._secrets.put(ciphertext, secret)
        return secret

    def client_for(
        self, installation: Installation | InstallationRecord, scopes: Iterable[str] | None = None
    ) -> HipChat:
        """A client bound to ``installation``'s API with a valid token for ``scopes``."""
        return HipChat(
            token=self.tokens.token(installation, scopes),
            base_url=installation.api_url,
            timeout=self.settings.http_timeout,
            verify=self.settings.verify_tls,
            session=self.http,
        )


class Addon:
    """A HipChat add-on served by a Flask app.

    >>> addon = Addon(app, key="com.example.deploybot", name="Deploy Bot",
    ...               scopes=["send_notification"])
    >>> @addon.on("room_message", pattern=r"^/deploy")
    ... def deploy(event): return "Deploying..."
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        key: str | None = None,
        name: str | None = None,
        description: str = "",
        vendor: Mapping[str, str] | None = None,
        scopes: Iterable[str] = ("send_notification",),
        allow_room: bool = True,
        allow_global: bool = True,
        from_name: str | None = None,
        avatar: str | Mapping[str, str] | None = None,
        homepage: str | None = None,
    ) -> None:
        self._info_args: dict[str, Any] = {
            "key": key,
            "name": name,
            "description": description,
            "vendor": dict(vendor) if vendor else None,
            "scopes": tuple(scopes),
            "allow_room": allow_room,
            "allow_global": allow_global,
            "from_name": from_name,
            "avatar": avatar,
            "homepage": homepage,
        }
        self.registry = Registry()
        self.configure_func: ConfigureFunc | None = None
        self.generation = 0
        self._info: descriptors.AddonInfo | None = None
        if app is not None:
            self.init_app(app)

    @property
    def info(self) -> descriptors.AddonInfo:
        """Who the add-on is; ``key`` and ``name`` may come from ADDON_KEY / ADDON_NAME."""
        if self._info is None:
            raise RuntimeError("Addon.init_app(app) has not been called yet")
        return self._info

    def init_app(self, app: Flask) -> None:
        """Attach the add-on to ``app``: settings, database, tokens, routes and CLI."""
        from addon.cli import addon_cli
        from addon.health import blueprint as health_blueprint
        from addon.views import blueprint

        settings = load_settings(app.config, app.instance_path)
        args = dict(self._info_args)
        args["key"] = args["key"] or app.config.get("ADDON_KEY")
        args["name"] = args["name"] or app.config.get("ADDON_NAME") or args["key"]
        if not args["key"]:
            raise descriptors.DescriptorError("the add-on needs a key: Addon(app, key=...)")
        args["from_name"] = args["from_name"] or args["name"]
        self._info = descriptors.AddonInfo(**args)
        # Fail at import time, not at the first install.
        descriptors.validate(self._info, self.registry, self.build_descriptor(settings))

        # Every connection the add-on makes is checked where it is made (addon.ssrf).
        http = guard_session(requests.Session(), settings)
        store = Store(settings.database_url, settings.secret_keys)
        cache = (
            RedisTokenCache(settings.redis_url, store.box, prefix=settings.redis_prefix)
            if settings.redis_url
            else None
        )
        runtime = Runtime(
            addon=self,
            settings=settings,
            store=store,
            tokens=TokenManager(
                store,
                http,
                timeout=settings.http_timeout,
                verify=settings.verify_tls,
                margin=settings.token_margin,
                cache=cache,
            ),
            http=http,
        )
        app.extensions[EXTENSION_KEY] = runtime
        app.config.setdefault("MAX_CONTENT_LENGTH", settings.max_body)
        app.register_blueprint(blueprint)
        if "addon_health" not in app.blueprints:
            app.register_blueprint(health_blueprint)
        app.cli.add_command(addon_cli)

    def build_descriptor(self, settings: Settings) -> dict[str, Any]:
        """The descriptor JSON for ``settings``' base URL."""
        return descriptors.build(
            self.info,
            settings,
            self.registry,
            configurable=self.configure_func is not None,
        )

    def on(
        self,
        event: str,
        pattern: str | None = None,
        *,
        key: str | None = None,
        name: str | None = None,
        room_webhook: bool = False,
        background: bool = False,
    ) -> Callable[[HandlerFunc], HandlerFunc]:
        """Register the decorated function as the handler of a webhook.

        ``pattern`` is a regular expression searched in the message text (message events
        only); ``key`` names the webhook (default: the function name); ``room_webhook=True``
        registers it through the REST API in each room installation instead of in the
        descriptor (needs the ``admin_room`` scope); ``background=True`` answers HipChat at once
        (204) and runs the handler later (see ``addon.background``).
        """

        def decorator(func: HandlerFunc) -> HandlerFunc:
            handler = self.registry.add(
                event,
                func,
                pattern=pattern,
                key=key,
                name=name,
                room_webhook=room_webhook,
                background=background,
            )
            if self._info is not None:
                descriptors.validate_handler(self._info, handler)
            self.generation += 1
            return func

        return decorator

    def configure_page(self, func: ConfigureFunc) -> ConfigureFunc:
        """Register the configure page (HIPCHAT.md §1.6), served behind a verified JWT.

        The function receives a ``Page`` (installation, user id, room id, a fresh
        ``signed_request`` for links back to the add-on) and returns a Flask response.
        """
        self.configure_func = func
        self.generation += 1
        return func


def runtime() -> Runtime:
    """The ``Runtime`` of the current app; raises if ``Addon.init_app`` never ran on it."""
    try:
        return current_app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("this Flask app has no Addon: call Addon(app) or init_app") from None
