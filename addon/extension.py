"""``Addon``: the Flask extension that turns an app into a HipChat add-on.

``Addon`` holds what the code declares (who the add-on is, its handlers, its configure page);
``Runtime`` holds what one Flask app needs to serve it (settings, database, tokens, HTTP
connections). One ``Addon`` may serve several apps, as Flask extensions do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, current_app

from addon import descriptor as descriptors
from addon.background import Job, RqRunner, Runner, ThreadRunner
from addon.config import Settings, load_settings
from addon.dispatch import HandlerFunc, Registry
from addon.hipchat import HipChat
from addon.store import Installation, Store
from addon.store.redis_cache import RedisTokenCache
from addon.tokens import TokenManager
from addon.ttlcache import TTLCache

EXTENSION_KEY = "addon"
#: Seconds a worker keeps an installation row in memory (see ``Runtime.installation``).
INSTALLATION_TTL = 10.0
#: Seconds a decrypted secret is kept; entries per cache.
SECRET_TTL = 3600.0
CACHE_SIZE = 1024

ConfigureFunc = Callable[..., Any]


@dataclass
class Runtime:
    """Everything one app needs at request time; built once by ``init_app``."""

    addon: Addon
    settings: Settings
    store: Store
    tokens: TokenManager
    http: requests.Session
    _runner: Runner | None = field(default=None, repr=False)
    _descriptor_json: bytes | None = field(default=None, repr=False)
    _generation: int = field(default=-1, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: Installations by oauth_id, for INSTALLATION_TTL seconds (per process: the time to live
    #: bounds how long another worker may still accept an installation after its uninstall).
    _installations: TTLCache[str, Installation] = field(
        default_factory=lambda: TTLCache(INSTALLATION_TTL, CACHE_SIZE), repr=False
    )
    #: Decrypted OAuth secrets by their ciphertext (a reinstall stores a new ciphertext).
    _secrets: TTLCache[str, str] = field(
        default_factory=lambda: TTLCache(SECRET_TTL, CACHE_SIZE), repr=False
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

    def defer(self, job: Job) -> None:
        """Hand ``job`` to the background runner (returns at once)."""
        self.background.submit(current_app._get_current_object(), job)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Finish background jobs, close pooled database and HTTP connections (at shutdown)."""
        with self._lock:
            runner, self._runner = self._runner, None
        if isinstance(runner, ThreadRunner):
            runner.shutdown(wait=True)
        self.store.dispose()
        self.http.close()

    def installation(self, oauth_id: str) -> Installation | None:
        """The stored installation with ``oauth_id``, or None (cached briefly when found)."""
        cached = self._installations.get(oauth_id)
        if cached is not None:
            return cached
        with self.store.session() as session:
            found = session.get(Installation, oauth_id)
        if found is not None:
            self._installations.put(oauth_id, found)
        return found

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
        self, installation: Installation, scopes: Iterable[str] | None = None
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

        http = requests.Session()
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
