"""Field validation for request bodies (HIPCHAT.md §6.3.1, §7.2, §7.4): bad input raises
ValidationError (400).

Pure functions over parsed JSON, shared by the REST views and by state methods that the add-on
side calls directly (for example a notification returned in a webhook response).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from addon.emulator.exceptions import ValidationError
from addon.emulator.state.models import SCOPES, WEBHOOK_EVENTS

COLORS = ("yellow", "green", "red", "purple", "gray", "random")
MESSAGE_FORMATS = ("html", "text")
CARD_STYLES = ("file", "image", "application", "link", "media")
CARD_FORMATS = ("compact", "medium")
ATTRIBUTE_STYLES = (
    "lozenge-success",
    "lozenge-error",
    "lozenge-current",
    "lozenge-complete",
    "lozenge-moved",
    "lozenge",
)
ROOM_ROLES = ("room_member", "room_admin")
USER_ROLES = ("owner", "admin", "moderator", "user")

NOTIFICATION_MAX = 10000
ROOM_MESSAGE_MAX = 1000
FROM_MAX = 64
ROOM_NAME_MAX = 50
TOPIC_MAX = 250
USER_NAME_MAX = 50

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def text(
    body: Mapping[str, Any],
    key: str,
    *,
    required: bool = False,
    min_len: int = 0,
    max_len: int | None = None,
    default: str | None = None,
    label: str | None = None,
) -> str | None:
    """Read a string field, enforcing presence and a length range."""
    name = label or key
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationError(f"Missing required field: '{name}'")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"Field '{name}' must be a string")
    value = str(value)
    if len(value) < min_len or (max_len is not None and len(value) > max_len):
        upper = f"{max_len}" if max_len is not None else "unlimited"
        raise ValidationError(
            f"Field '{name}' has length {len(value)}; valid length range: {min_len} - {upper}"
        )
    return value


def boolean(body: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """Read a boolean field; strings such as "true"/"false" and 0/1 are accepted too."""
    value = body.get(key)
    if value is None:
        return default
    return to_bool(value, key)


def to_bool(value: Any, name: str) -> bool:
    """Coerce a JSON or query value to bool, or raise ValidationError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError(f"Field '{name}' must be a boolean")


def choice(body: Mapping[str, Any], key: str, choices: Iterable[str], default: str) -> str:
    """Read an enum field (case-insensitive), falling back to ``default`` when absent."""
    allowed = tuple(choices)
    value = body.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValidationError(f"Field '{key}' must be one of: {', '.join(allowed)}")
    return value.lower()


def scopes(value: Any) -> list[str]:
    """Parse scopes given as a list or a space/comma separated string; unknown names are 400."""
    if value is None:
        return []
    if isinstance(value, str):
        names = [part for part in re.split(r"[\s,]+", value) if part]
    elif isinstance(value, list | tuple) and all(isinstance(part, str) for part in value):
        names = [part.strip() for part in value if part.strip()]
    else:
        raise ValidationError("Scopes must be a list or a space separated string")
    unknown = sorted(set(names) - set(SCOPES))
    if unknown:
        raise ValidationError(f"Invalid scope(s): {', '.join(unknown)}")
    return sorted(set(names))


def notification(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a send-room-notification body (§6.3.1) and return it normalised."""
    if not isinstance(body, Mapping):
        raise ValidationError("The request body must be a JSON object")
    result: dict[str, Any] = {
        "message": text(body, "message", required=True, min_len=1, max_len=NOTIFICATION_MAX),
        "message_format": choice(body, "message_format", MESSAGE_FORMATS, "html"),
        "color": choice(body, "color", COLORS, "yellow"),
        "notify": boolean(body, "notify"),
        "from": text(body, "from", max_len=FROM_MAX),
        "attach_to": text(body, "attach_to", max_len=100),
        "card": None,
    }
    if body.get("card") is not None:
        result["card"] = card(body["card"])
    return result


def card(value: Any) -> dict[str, Any]:
    """Validate a card object (§7.4): style/id/title required, enums checked."""
    if not isinstance(value, Mapping):
        raise ValidationError("Field 'card' must be an object")
    choice(value, "style", CARD_STYLES, "")
    for key in ("style", "id", "title"):
        text(value, key, required=True, min_len=1, max_len=500, label=f"card.{key}")
    choice(value, "format", CARD_FORMATS, "compact")
    text(value, "url", max_len=2048, label="card.url")
    description = value.get("description")
    if isinstance(description, Mapping):
        text(description, "value", required=True, max_len=1000, label="card.description.value")
        choice(description, "format", MESSAGE_FORMATS, "text")
    elif description is not None and not isinstance(description, str):
        raise ValidationError("Field 'card.description' must be a string or an object")
    for key in ("icon", "thumbnail"):
        _image(value.get(key), f"card.{key}")
    activity = value.get("activity")
    if activity is not None:
        if not isinstance(activity, Mapping):
            raise ValidationError("Field 'card.activity' must be an object")
        text(activity, "html", required=True, max_len=1000, label="card.activity.html")
        _image(activity.get("icon"), "card.activity.icon")
    attributes = value.get("attributes")
    if attributes is not None:
        if not isinstance(attributes, list):
            raise ValidationError("Field 'card.attributes' must be a list")
        for index, attribute in enumerate(attributes):
            _attribute(attribute, f"card.attributes[{index}]")
    return dict(value)


def _image(value: Any, name: str) -> None:
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, Mapping):
        raise ValidationError(f"Field '{name}' must be a URL or an object with 'url'")
    text(value, "url", required=True, min_len=1, max_len=2048, label=f"{name}.url")


def _attribute(value: Any, name: str) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError(f"Field '{name}' must be an object")
    text(value, "label", max_len=50, label=f"{name}.label")
    inner = value.get("value")
    if not isinstance(inner, Mapping):
        raise ValidationError(f"Field '{name}.value' must be an object")
    text(inner, "label", required=True, min_len=1, max_len=500, label=f"{name}.value.label")
    choice(inner, "style", ATTRIBUTE_STYLES, "lozenge")
    _image(inner.get("icon"), f"{name}.value.icon")


def room_message(body: Mapping[str, Any], key: str = "message", *, required: bool = True) -> str:
    """Validate the text of a user-style room message (believed 1-1000 chars, §7.2)."""
    value = text(body, key, required=required, min_len=1, max_len=ROOM_MESSAGE_MAX)
    return value or ""


def private_message(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a private (1:1) message body: message 1-10000, format text|html, notify."""
    return {
        "message": text(body, "message", required=True, min_len=1, max_len=NOTIFICATION_MAX),
        "message_format": choice(body, "message_format", MESSAGE_FORMATS, "text"),
        "notify": boolean(body, "notify"),
    }


def room_name(body: Mapping[str, Any]) -> str:
    """A room name: required, 1-50 characters, no leading/trailing blanks only."""
    name = text(body, "name", required=True, min_len=1, max_len=ROOM_NAME_MAX) or ""
    if not name.strip():
        raise ValidationError("Field 'name' must not be blank")
    return name


def topic(body: Mapping[str, Any], *, required: bool = True) -> str:
    """A room topic: at most 250 characters."""
    return text(body, "topic", required=required, max_len=TOPIC_MAX, default="") or ""


def webhook(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a create-webhook body (§6.5): url, event, optional pattern/name/key/auth."""
    url = text(body, "url", required=True, min_len=1, max_len=2048) or ""
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        raise ValidationError("Field 'url' must be an http or https URL")
    event = choice(body, "event", WEBHOOK_EVENTS, "")
    if not event:
        raise ValidationError("Missing required field: 'event'")
    pattern = text(body, "pattern", max_len=512) or None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(
                f"Field 'pattern' is not a valid regular expression: {exc}"
            ) from exc
    return {
        "url": url,
        "event": event,
        "pattern": pattern,
        "name": text(body, "name", max_len=100) or None,
        "key": text(body, "key", min_len=1, max_len=40),
        "authentication": choice(body, "authentication", ("jwt", "none"), "none"),
    }


def roles(value: Any, allowed: Iterable[str], name: str) -> list[str] | None:
    """A list of role names drawn from ``allowed``; None when absent."""
    if value is None:
        return None
    allowed_set = tuple(allowed)
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise ValidationError(f"Field '{name}' must be a list of strings")
    bad = [r for r in value if r not in allowed_set]
    if bad:
        raise ValidationError(f"Field '{name}' values must be among: {', '.join(allowed_set)}")
    return list(dict.fromkeys(value))


def email(body: Mapping[str, Any], *, required: bool = True) -> str | None:
    """An email address: something@something, at most 255 characters."""
    value = text(body, "email", required=required, min_len=3, max_len=255)
    if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
        raise ValidationError("Field 'email' must be an email address")
    return value


def mention_name(body: Mapping[str, Any], *, required: bool = False) -> str | None:
    """An @mention name without the '@': 1-50 characters, no spaces or '@'."""
    value = text(body, "mention_name", required=required, min_len=1, max_len=50)
    if value is not None:
        value = value.removeprefix("@")
        if not value or re.search(r"[\s@,]", value):
            raise ValidationError("Field 'mention_name' may not contain spaces, commas or '@'")
    return value


def share_link(body: dict[str, Any], message_max: int) -> tuple[str, str | None]:
    """The ``{"link", "message"?}`` body of a share-link call: an http(s) link and its text."""
    link = text(body, "link", required=True, min_len=1, max_len=2048) or ""
    if not link.lower().startswith(("http://", "https://")):
        raise ValidationError("Field 'link' must be an http or https URL")
    return link, text(body, "message", max_len=message_max)
