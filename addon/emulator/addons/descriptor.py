"""An add-on's capabilities descriptor (HIPCHAT.md §1), fetched and checked before an install.

Only what the server-side install needs is required: ``key``, ``name``, ``capabilities`` and
``installable.callbackUrl``. Scopes and webhooks are validated like their REST counterparts, so
a bad descriptor is refused (400) before any OAuth client exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from addon.emulator import validation as v
from addon.emulator.addons.outbound import (
    AddonError,
    call,
    describe_exception,
    describe_response,
    snippet,
)
from addon.emulator.exceptions import ValidationError

_URL = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
MAX_DESCRIPTOR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AddonDescriptor:
    """The parts of a descriptor the emulator acts on, plus the whole document (``raw``)."""

    url: str
    key: str
    name: str
    from_name: str
    scopes: list[str]
    callback_url: str
    uninstalled_url: str | None = None
    allow_global: bool = True
    allow_room: bool = True
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def check_url(value: Any, name: str) -> str:
    """An absolute http(s) URL, or ValidationError naming the field."""
    if not isinstance(value, str) or not _URL.match(value) or len(value) > 2048:
        raise ValidationError(f"Invalid descriptor: {name} must be an http or https URL")
    return value


def fetch_descriptor(url: str, timeout: float) -> dict[str, Any]:
    """GET the descriptor (redirects followed). Unreachable or non-200 -> AddonError (502);
    not a JSON object -> ValidationError (400)."""
    if not isinstance(url, str) or not _URL.match(url):
        raise ValidationError("Field 'descriptor_url' must be an http or https URL")
    try:
        response = call(
            "GET",
            url,
            timeout=timeout,
            headers={"Accept": "application/json"},
            allow_redirects=True,
        )
    except requests.RequestException as exc:
        reason = describe_exception(exc, timeout)
        raise AddonError(f"Could not fetch the descriptor at {url}: {reason}") from None
    if response.status_code != 200:
        raise AddonError(
            f"The descriptor at {url} could not be read: {describe_response(response)}"
        )
    if len(response.content) > MAX_DESCRIPTOR_BYTES:
        raise ValidationError(f"The descriptor at {url} is larger than {MAX_DESCRIPTOR_BYTES} B")
    try:
        document = json.loads(response.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(
            f"The descriptor at {url} is not JSON: {snippet(response.text)}"
        ) from None
    if not isinstance(document, dict):
        raise ValidationError(f"The descriptor at {url} is not a JSON object")
    return document


def parse_descriptor(document: Mapping[str, Any], url: str) -> AddonDescriptor:
    """Check a descriptor and pick out what an install needs; ValidationError (400) naming the
    first bad field otherwise."""
    key = _string(document, "key", 100)
    name = _string(document, "name", 100)
    capabilities = _object(document, "capabilities", required=True)
    installable = _object(capabilities, "installable", required=True, prefix="capabilities.")
    if "callbackUrl" not in installable:
        raise ValidationError(
            "Invalid descriptor: capabilities.installable.callbackUrl is required (the "
            "emulator installs server-side; the installedUrl-only flow is not supported)"
        )
    callback = check_url(installable["callbackUrl"], "capabilities.installable.callbackUrl")
    uninstalled = installable.get("uninstalledUrl")
    if uninstalled is not None:
        uninstalled = check_url(uninstalled, "capabilities.installable.uninstalledUrl")
    consumer = _object(capabilities, "hipchatApiConsumer", prefix="capabilities.")
    try:
        scopes = v.scopes(consumer.get("scopes"))
        from_name = v.text(consumer, "fromName", min_len=1, max_len=v.FROM_MAX)
        allow_global = v.boolean(installable, "allowGlobal", True)
        allow_room = v.boolean(installable, "allowRoom", True)
    except ValidationError as exc:
        raise ValidationError(f"Invalid descriptor: {exc.message}") from None
    return AddonDescriptor(
        url=url,
        key=key,
        name=name,
        from_name=from_name or name[: v.FROM_MAX],
        scopes=scopes,
        callback_url=callback,
        uninstalled_url=uninstalled,
        allow_global=allow_global,
        allow_room=allow_room,
        webhooks=_webhooks(capabilities.get("webhook")),
        raw=dict(document),
    )


def _string(document: Mapping[str, Any], name: str, limit: int) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"Invalid descriptor: '{name}' is required and must be a string")
    if len(value) > limit:
        raise ValidationError(f"Invalid descriptor: '{name}' is longer than {limit} characters")
    return value


def _object(
    parent: Mapping[str, Any], name: str, *, required: bool = False, prefix: str = ""
) -> dict[str, Any]:
    value = parent.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"Invalid descriptor: '{prefix}{name}' must be an object")
    return value


def _webhooks(value: Any) -> list[dict[str, Any]]:
    """Each entry validated like a REST webhook body; ``authentication`` defaults to jwt for
    descriptor webhooks (ac-flask's default; HIPCHAT.md §1.5 notes the docs said none)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("Invalid descriptor: 'capabilities.webhook' must be a list")
    hooks: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, entry in enumerate(value):
        where = f"capabilities.webhook[{index}]"
        if not isinstance(entry, dict):
            raise ValidationError(f"Invalid descriptor: {where} must be an object")
        try:
            spec = v.webhook({"authentication": "jwt", **entry})
        except ValidationError as exc:
            raise ValidationError(f"Invalid descriptor: {where}: {exc.message}") from None
        if spec["key"] is not None:
            if spec["key"] in keys:
                raise ValidationError(f"Invalid descriptor: {where}: duplicate key {spec['key']!r}")
            keys.add(spec["key"])
        hooks.append(spec)
    return hooks
