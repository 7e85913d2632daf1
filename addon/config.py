"""The ``ADDON_*`` settings: defaults, and how they are read from Flask config or the environment.

A key set in ``app.config`` wins; otherwise an environment variable of the same name is used;
otherwise the default below. Values from the environment are strings, so they are coerced to the
default's type (``"1"``/``"true"`` for booleans, comma-separated lists for lists).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the ``ADDON_*`` key."""


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one Flask app; see README "Configuration" for each key."""

    base_url: str
    database_url: str
    secret_keys: tuple[str, ...]
    trusted_hosts: tuple[str, ...] = ("api.hipchat.com",)
    allow_unsigned_webhooks: bool = False
    jwt_leeway: int = 10
    http_timeout: float = 10.0
    max_body: int = 1024 * 1024
    max_capabilities_bytes: int = 256 * 1024
    verify_tls: bool | str = True
    token_margin: int = 60
    redis_url: str | None = None
    redis_prefix: str = "addon:"
    background: str = "thread"
    background_workers: int = 4
    background_app: str = "wsgi:app"
    rq_queue: str = "addon"
    dedupe_ttl: int = 3600
    dedupe_body_ttl: int = 60
    outbox_enabled: bool = True
    outbox_poll: float = 1.0
    outbox_max_attempts: int = 10
    outbox_backoff: float = 1.0
    outbox_backoff_max: float = 300.0
    outbox_keep: float = 86400.0
    flood_limit: int = 30
    flood_window: float = 60.0
    rate_limit: int = 500
    rate_window: float = 300.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """An absolute public URL for ``path`` on this add-on (used in every descriptor link)."""
        return self.base_url + "/" + path.lstrip("/")

    def is_trusted(self, url: str) -> bool:
        """Whether ``url`` is http(s) on a host listed in ``ADDON_TRUSTED_HOSTS``.

        An entry ``*.example.com`` matches subdomains of example.com (not example.com itself);
        an entry with a port (``127.0.0.1:8080``) matches only that port.
        """
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
            return False
        default_port = 443 if parts.scheme == "https" else 80
        for entry in self.trusted_hosts:
            want_host, want_port = _split_host_port(entry.strip().lower())
            if want_port is not None and (port or default_port) != want_port:
                continue
            if want_host.startswith("*.") and host.endswith(want_host[1:]):
                return True
            if host == want_host:
                return True
        return False


def _split_host_port(entry: str) -> tuple[str, int | None]:
    """``"host:8080"`` -> ("host", 8080); ``"host"`` -> ("host", None)."""
    if entry.count(":") > 1 and not entry.startswith("["):
        return entry, None  # a bare IPv6 address
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and "]" not in port:
        return host.strip("[]"), int(port)
    return entry.strip("[]"), None


def _raw(config: Mapping[str, Any], key: str) -> Any:
    if key in config and config[key] is not None:
        return config[key]
    return os.environ.get(key)


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{key} must be a boolean, got {value!r}")


def _as_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return tuple(str(item).strip() for item in value if str(item).strip())


def _as_number(key: str, value: Any, kind: type[int] | type[float]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None
    if number < 0:
        raise ConfigError(f"{key} must not be negative, got {value!r}")
    return number


def load_settings(config: Mapping[str, Any], instance_path: str | Path) -> Settings:
    """Resolve every ``ADDON_*`` key for an app; raises ConfigError with the key's name."""
    base_url = str(_raw(config, "ADDON_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"ADDON_BASE_URL must be an absolute http(s) URL, got {base_url!r}")

    database_url = _raw(config, "ADDON_DATABASE_URL")
    if not database_url:
        database_url = f"sqlite:///{Path(instance_path) / 'addon.db'}"

    secret = _raw(config, "ADDON_SECRET_KEY")
    if not secret:
        raise ConfigError(
            "ADDON_SECRET_KEY is not set: it encrypts OAuth secrets at rest "
            "(give several, comma-separated, newest first, to rotate keys)"
        )
    secret_keys = _as_list(secret)

    trusted = _raw(config, "ADDON_TRUSTED_HOSTS")
    verify = _raw(config, "ADDON_VERIFY_TLS")
    if verify is None:
        verify_tls: bool | str = True
    elif isinstance(verify, str) and verify.strip().lower() not in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
        "",
    ):
        verify_tls = verify  # a CA bundle path, for HipChat Server with a private CA
    else:
        verify_tls = _as_bool("ADDON_VERIFY_TLS", verify)

    def number(key: str, default: Any, kind: type[int] | type[float] = int) -> Any:
        value = _raw(config, key)
        return default if value is None else _as_number(key, value, kind)

    allow_unsigned = _raw(config, "ADDON_ALLOW_UNSIGNED_WEBHOOKS")
    redis_url = _raw(config, "ADDON_REDIS_URL") or None
    background = str(_raw(config, "ADDON_BACKGROUND") or "thread").strip().lower()
    if background not in ("thread", "rq"):
        raise ConfigError(f"ADDON_BACKGROUND must be 'thread' or 'rq', got {background!r}")
    if background == "rq" and not redis_url:
        raise ConfigError("ADDON_BACKGROUND=rq needs ADDON_REDIS_URL (the RQ queue lives in Redis)")
    return Settings(
        base_url=base_url,
        database_url=str(database_url),
        secret_keys=secret_keys,
        trusted_hosts=_as_list(trusted) if trusted is not None else ("api.hipchat.com",),
        allow_unsigned_webhooks=(
            _as_bool("ADDON_ALLOW_UNSIGNED_WEBHOOKS", allow_unsigned)
            if allow_unsigned is not None
            else False
        ),
        jwt_leeway=number("ADDON_JWT_LEEWAY", 10),
        http_timeout=number("ADDON_HTTP_TIMEOUT", 10.0, float),
        max_body=number("ADDON_MAX_BODY", 1024 * 1024),
        max_capabilities_bytes=number("ADDON_MAX_CAPABILITIES_BYTES", 256 * 1024),
        verify_tls=verify_tls,
        token_margin=number("ADDON_TOKEN_MARGIN", 60),
        redis_url=redis_url,
        dedupe_ttl=number("ADDON_DEDUPE_TTL", 3600),
        dedupe_body_ttl=number("ADDON_DEDUPE_BODY_TTL", 60),
        outbox_enabled=_as_bool("ADDON_OUTBOX", _default(_raw(config, "ADDON_OUTBOX"), True)),
        outbox_poll=number("ADDON_OUTBOX_POLL", 1.0, float),
        outbox_max_attempts=max(1, number("ADDON_OUTBOX_MAX_ATTEMPTS", 10)),
        outbox_backoff=number("ADDON_OUTBOX_BACKOFF", 1.0, float),
        outbox_backoff_max=number("ADDON_OUTBOX_BACKOFF_MAX", 300.0, float),
        outbox_keep=number("ADDON_OUTBOX_KEEP", 86400.0, float),
        flood_limit=max(1, number("ADDON_FLOOD_LIMIT", 30)),
        flood_window=number("ADDON_FLOOD_WINDOW", 60.0, float),
        rate_limit=max(1, number("ADDON_RATE_LIMIT", 500)),
        rate_window=number("ADDON_RATE_WINDOW", 300.0, float),
        redis_prefix=str(_raw(config, "ADDON_REDIS_PREFIX") or "addon:"),
        background=background,
        background_workers=max(1, number("ADDON_BACKGROUND_WORKERS", 4)),
        background_app=str(_raw(config, "ADDON_BACKGROUND_APP") or "wsgi:app"),
        rq_queue=str(_raw(config, "ADDON_RQ_QUEUE") or "addon"),
    )
