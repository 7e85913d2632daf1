"""The capabilities descriptor (HIPCHAT.md §1): built from what the code registered, and checked.

The descriptor is what HipChat reads before installing the add-on, so every link in it is an
absolute URL on ``ADDON_BASE_URL``. Validation runs when the app starts, so a bad handler fails
the deploy instead of the first install.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from addon.config import Settings
from addon.dispatch import Handler

#: Every scope HipChat knows (HIPCHAT.md §1.4).
KNOWN_SCOPES = frozenset(
    {
        "admin_group",
        "admin_room",
        "manage_rooms",
        "send_message",
        "send_notification",
        "view_group",
        "view_messages",
        "view_room",
        "import_data",
    }
)

#: Paths the framework serves under ADDON_BASE_URL.
DESCRIPTOR_PATH = "/addon/descriptor"
INSTALLABLE_PATH = "/addon/installable"
UNINSTALLED_PATH = "/addon/uninstalled"
WEBHOOK_PATH = "/addon/webhook/{key}"
CONFIGURE_PATH = "/addon/configure"


class DescriptorError(ValueError):
    """The registered add-on cannot be described to HipChat; the message names the culprit."""


@dataclass(frozen=True)
class AddonInfo:
    """What the add-on says about itself: the constructor arguments of ``Addon``."""

    key: str
    name: str
    description: str = ""
    vendor: Mapping[str, str] | None = None
    scopes: tuple[str, ...] = ("send_notification",)
    allow_room: bool = True
    allow_global: bool = True
    from_name: str | None = None
    avatar: str | Mapping[str, str] | None = None
    homepage: str | None = None
    extra_capabilities: Mapping[str, Any] = field(default_factory=dict)


def build(
    info: AddonInfo,
    settings: Settings,
    handlers: Iterable[Handler],
    *,
    configurable: bool = False,
) -> dict[str, Any]:
    """The descriptor JSON for ``info`` and the registered handlers, served as-is."""
    consumer: dict[str, Any] = {"scopes": list(info.scopes)}
    if info.from_name:
        consumer["fromName"] = info.from_name
    if info.avatar:
        consumer["avatar"] = (
            {"url": info.avatar} if isinstance(info.avatar, str) else dict(info.avatar)
        )
    capabilities: dict[str, Any] = {
        "hipchatApiConsumer": consumer,
        "installable": {
            "allowRoom": info.allow_room,
            "allowGlobal": info.allow_global,
            "callbackUrl": settings.url(INSTALLABLE_PATH),
            "uninstalledUrl": settings.url(UNINSTALLED_PATH),
        },
    }
    webhooks = [_webhook_entry(h, settings) for h in handlers if not h.room_webhook]
    if webhooks:
        capabilities["webhook"] = webhooks
    if configurable:
        capabilities["configurable"] = {"url": settings.url(CONFIGURE_PATH)}
    capabilities.update(info.extra_capabilities)
    descriptor: dict[str, Any] = {
        "key": info.key,
        "name": info.name,
        "description": info.description,
        "links": {
            "self": settings.url(DESCRIPTOR_PATH),
            "homepage": info.homepage or settings.url("/"),
        },
        "capabilities": capabilities,
    }
    if info.vendor:
        descriptor["vendor"] = dict(info.vendor)
    return descriptor


def _webhook_entry(handler: Handler, settings: Settings) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "event": handler.event,
        "url": settings.url(WEBHOOK_PATH.format(key=handler.key)),
        "name": handler.name or handler.key,
        "key": handler.key,
        "authentication": "jwt",
    }
    if handler.pattern is not None:
        entry["pattern"] = handler.pattern.pattern
    return entry


def validate(info: AddonInfo, handlers: Iterable[Handler], descriptor: Mapping[str, Any]) -> None:
    """Raise DescriptorError for anything HipChat would refuse or the framework cannot serve.

    Handler-level checks (event names, patterns, key format) already ran at registration; this
    checks what only the whole add-on can tell.
    """
    if not info.key or len(info.key) > 100:
        raise DescriptorError("the add-on key must be 1-100 characters")
    if not info.name or len(info.name) > 100:
        raise DescriptorError("the add-on name must be 1-100 characters")
    unknown = sorted(set(info.scopes) - KNOWN_SCOPES)
    if unknown:
        raise DescriptorError(
            f"unknown scope(s) {', '.join(unknown)}; HipChat knows "
            + ", ".join(sorted(KNOWN_SCOPES))
        )
    if not info.allow_room and not info.allow_global:
        raise DescriptorError("allow_room and allow_global are both false: nothing can install")
    if info.from_name is not None and not 1 <= len(info.from_name) <= 64:
        raise DescriptorError("from_name must be 1-64 characters")
    for handler in handlers:
        validate_handler(info, handler)
    for where, url in _links(descriptor):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DescriptorError(f"{where} must be an absolute http(s) URL, got {url!r}")


def validate_handler(info: AddonInfo, handler: Handler) -> None:
    """Checks of one handler that depend on the add-on (its scopes, where it installs)."""
    if len(handler.key) > 40:
        raise DescriptorError(f"handler {handler.label}: key is longer than 40 characters")
    if handler.room_webhook and "admin_room" not in info.scopes:
        raise DescriptorError(
            f"handler {handler.label} asks for a room webhook registered through the REST "
            "API, which needs the 'admin_room' scope; add it to scopes=[...]"
        )
    if handler.room_webhook and not info.allow_room:
        raise DescriptorError(
            f"handler {handler.label} asks for a room webhook, but the add-on does not "
            "allow room installations"
        )


def _links(descriptor: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """Every URL in the descriptor with a readable location, for validation."""
    yield "links.self", descriptor["links"]["self"]
    yield "links.homepage", descriptor["links"]["homepage"]
    caps = descriptor["capabilities"]
    for name in ("callbackUrl", "uninstalledUrl"):
        yield f"installable.{name}", caps["installable"][name]
    for hook in caps.get("webhook", []):
        yield f"webhook {hook['key']!r} url", hook["url"]
    if "configurable" in caps:
        yield "configurable.url", caps["configurable"]["url"]
    avatar = caps["hipchatApiConsumer"].get("avatar") or {}
    for name, url in avatar.items():
        yield f"hipchatApiConsumer.avatar.{name}", url
