"""Replies an add-on posts to a room: :class:`Notification` and :class:`Card`, validated up front.

Both are checked when built (HIPCHAT.md §6.3.1 and §7.4), so a bad reply fails in the handler
that made it rather than as a 400 from HipChat later. A notification becomes either the JSON body
of a webhook response (:meth:`Notification.to_json`, §5.4) or the arguments of the client's
``room(...).send(...)`` (:meth:`Notification.send_kwargs`). HTML is passed through unchecked:
HipChat sanitises it to its whitelist (§7.2).
"""

from __future__ import annotations

import copy
import dataclasses
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

COLORS = ("yellow", "green", "red", "purple", "gray", "random")
MESSAGE_FORMATS = ("html", "text")
MAX_MESSAGE_LENGTH = 10_000
MAX_FROM_LENGTH = 64
CARD_STYLES = ("file", "image", "application", "link", "media")
CARD_FORMATS = ("compact", "medium")
LOZENGE_STYLES = (
    "lozenge-success",
    "lozenge-error",
    "lozenge-current",
    "lozenge-complete",
    "lozenge-moved",
    "lozenge",
)
_NOTIFICATION_KEYS = ("message", "color", "message_format", "notify", "from", "card", "attach_to")
_CARD_OPTIONAL = ("description", "url", "format", "icon", "thumbnail", "activity", "attributes")
_CARD_KEYS = ("style", "id", "title", *_CARD_OPTIONAL)


class NotificationError(ValueError):
    """A notification (or its card) that HipChat would refuse."""


class CardError(NotificationError):
    """A card that does not follow the card format (§7.4)."""


def _plain(value: Any) -> Any:
    """Enum members (e.g. the client's Color) stand for their value."""
    return value.value if isinstance(value, Enum) else value


def _check_keys(data: Mapping[Any, Any], allowed: Iterable[str], where: str, error: type) -> None:
    unknown = sorted(repr(key) for key in data if key not in allowed)
    if unknown:
        raise error(f"{where}: unknown field(s) {', '.join(unknown)}")


def _check_str(value: Any, where: str, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        raise CardError(f"{where} must be a non-empty string")


def _check_icon(icon: Any, where: str) -> None:
    if not isinstance(icon, Mapping):
        raise CardError(f"{where} must be an object with a url")
    _check_keys(icon, ("url", "url@2x"), where, CardError)
    _check_str(icon.get("url"), f"{where}.url")
    _check_str(icon.get("url@2x"), f"{where}.url@2x", required=False)


def _check_thumbnail(thumbnail: Any) -> None:
    if not isinstance(thumbnail, Mapping):
        raise CardError("card.thumbnail must be an object with a url")
    _check_keys(thumbnail, ("url", "url@2x", "width", "height"), "card.thumbnail", CardError)
    _check_str(thumbnail.get("url"), "card.thumbnail.url")
    _check_str(thumbnail.get("url@2x"), "card.thumbnail.url@2x", required=False)
    for dimension in ("width", "height"):
        value = thumbnail.get(dimension)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise CardError(f"card.thumbnail.{dimension} must be an integer")
        if value is not None and value < 0:
            raise CardError(f"card.thumbnail.{dimension} must not be negative")


def _check_description(description: Any) -> None:
    if isinstance(description, str):
        return
    if not isinstance(description, Mapping):
        raise CardError("card.description must be a string or {value, format}")
    _check_keys(description, ("value", "format"), "card.description", CardError)
    if not isinstance(description.get("value"), str):
        raise CardError("card.description.value must be a string")
    if description.get("format") not in MESSAGE_FORMATS:
        raise CardError("card.description.format must be 'html' or 'text'")


def _check_activity(activity: Any) -> None:
    if not isinstance(activity, Mapping):
        raise CardError("card.activity must be an object with html")
    _check_keys(activity, ("html", "icon"), "card.activity", CardError)
    _check_str(activity.get("html"), "card.activity.html")
    if activity.get("icon") is not None:
        _check_icon(activity["icon"], "card.activity.icon")


def _check_attributes(attributes: Any) -> None:
    if not isinstance(attributes, list | tuple):
        raise CardError("card.attributes must be a list")
    for index, attribute in enumerate(attributes):
        where = f"card.attributes[{index}]"
        if not isinstance(attribute, Mapping):
            raise CardError(f"{where} must be an object")
        _check_keys(attribute, ("label", "value"), where, CardError)
        _check_str(attribute.get("label"), f"{where}.label", required=False)
        value = attribute.get("value")
        if not isinstance(value, Mapping):
            raise CardError(f"{where}.value must be an object with a label")
        _check_keys(value, ("label", "url", "style", "icon"), f"{where}.value", CardError)
        _check_str(value.get("label"), f"{where}.value.label")
        _check_str(value.get("url"), f"{where}.value.url", required=False)
        if value.get("style") is not None and value["style"] not in LOZENGE_STYLES:
            raise CardError(f"{where}.value.style must be one of {', '.join(LOZENGE_STYLES)}")
        if value.get("icon") is not None:
            _check_icon(value["icon"], f"{where}.value.icon")


def validate_card(data: Any) -> dict[str, Any]:
    """Check a card object against §7.4 and return a private deep copy (CardError if invalid)."""
    if not isinstance(data, Mapping):
        raise CardError("a card must be an object")
    _check_keys(data, _CARD_KEYS, "card", CardError)
    if data.get("style") not in CARD_STYLES:
        raise CardError(f"card.style must be one of {', '.join(CARD_STYLES)}")
    _check_str(data.get("id"), "card.id")
    _check_str(data.get("title"), "card.title")
    _check_str(data.get("url"), "card.url", required=False)
    if data.get("format") is not None and data["format"] not in CARD_FORMATS:
        raise CardError("card.format must be 'compact' or 'medium'")
    checks = (
        ("description", _check_description),
        ("icon", lambda icon: _check_icon(icon, "card.icon")),
        ("thumbnail", _check_thumbnail),
        ("activity", _check_activity),
        ("attributes", _check_attributes),
    )
    for key, check in checks:
        if data.get(key) is not None:
            check(data[key])
    return {key: copy.deepcopy(value) for key, value in data.items() if value is not None}


@dataclass(frozen=True)
class Notification:
    """A room notification (§6.3.1): fallback ``message`` plus colour, format, card, label."""

    message: str
    color: str = "yellow"
    message_format: str = "html"
    notify: bool = False
    from_: str | None = None
    card: dict[str, Any] | None = None
    attach_to: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "color", _plain(self.color))
        set_(self, "message_format", _plain(self.message_format))
        if isinstance(self.card, Card):
            set_(self, "card", self.card.to_json())
        if not isinstance(self.message, str):
            raise NotificationError("message must be a string")
        if not 1 <= len(self.message) <= MAX_MESSAGE_LENGTH:
            raise NotificationError(f"message must be 1 to {MAX_MESSAGE_LENGTH} characters long")
        if self.color not in COLORS:
            raise NotificationError(f"color must be one of {', '.join(COLORS)}")
        if self.message_format not in MESSAGE_FORMATS:
            raise NotificationError("message_format must be 'html' or 'text'")
        if not isinstance(self.notify, bool):
            raise NotificationError("notify must be a bool")
        if self.from_ is not None and (
            not isinstance(self.from_, str) or len(self.from_) > MAX_FROM_LENGTH
        ):
            raise NotificationError(f"from must be a string of at most {MAX_FROM_LENGTH} chars")
        if self.attach_to is not None and (
            not isinstance(self.attach_to, str) or not self.attach_to
        ):
            raise NotificationError("attach_to must be a non-empty message id")
        if self.card is not None:
            set_(self, "card", validate_card(self.card))

    @classmethod
    def from_json(cls, data: Any) -> Notification:
        """Build from a §6.3.1 body (``from`` key; ``notify`` may be "true"/"false")."""
        if not isinstance(data, Mapping):
            raise NotificationError("a notification must be an object")
        _check_keys(data, _NOTIFICATION_KEYS, "notification", NotificationError)
        if "message" not in data:
            raise NotificationError("notification needs a message (the fallback for cards too)")
        notify = data.get("notify", False)
        if isinstance(notify, str) and notify.lower() in ("true", "false"):
            notify = notify.lower() == "true"
        return cls(
            message=data["message"],
            color=data.get("color", "yellow"),
            message_format=data.get("message_format", "html"),
            notify=notify,
            from_=data.get("from"),
            card=data.get("card"),
            attach_to=data.get("attach_to"),
        )

    def to_json(self) -> dict[str, Any]:
        """The §6.3.1 request body (also a valid webhook reply body, §5.4); None fields omitted."""
        body: dict[str, Any] = {
            "message": self.message,
            "color": self.color,
            "message_format": self.message_format,
            "notify": self.notify,
        }
        if self.from_ is not None:
            body["from"] = self.from_
        if self.card is not None:
            body["card"] = copy.deepcopy(self.card)
        if self.attach_to is not None:
            body["attach_to"] = self.attach_to
        return body

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``HipChat.room(id).send(message, **kwargs)``."""
        return {
            "notify": self.notify,
            "color": self.color,
            "message_format": self.message_format,
            "card": copy.deepcopy(self.card),
            "from_": self.from_,
            "attach_to": self.attach_to,
        }

    def replace(self, **changes: Any) -> Notification:
        """A copy with some fields changed (validated again)."""
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as exc:
            raise NotificationError(str(exc)) from exc


@dataclass(frozen=True)
class Card:
    """A card (§7.4); ``fallback`` is the message shown by clients without card support."""

    style: str
    id: str
    title: str
    description: str | dict[str, Any] | None = None
    url: str | None = None
    format: str | None = None
    icon: str | dict[str, Any] | None = None
    thumbnail: dict[str, Any] | None = None
    activity: dict[str, Any] | None = None
    attributes: list[dict[str, Any]] = field(default_factory=list)
    fallback: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.icon, str):
            object.__setattr__(self, "icon", {"url": self.icon})
        if not isinstance(self.attributes, list | tuple):
            raise CardError("card.attributes must be a list")
        object.__setattr__(self, "attributes", list(self.attributes))
        if self.fallback is not None and (
            not isinstance(self.fallback, str) or not 1 <= len(self.fallback) <= MAX_MESSAGE_LENGTH
        ):
            raise CardError(f"card fallback must be 1 to {MAX_MESSAGE_LENGTH} characters long")
        validate_card(self.to_json())

    @staticmethod
    def attribute(
        label: str | None,
        value: str,
        *,
        url: str | None = None,
        style: str | None = None,
        icon: str | None = None,
    ) -> dict[str, Any]:
        """One ``attributes`` entry: a labelled value, optionally a link, lozenge or icon."""
        entry: dict[str, Any] = {"label": value}
        if url is not None:
            entry["url"] = url
        if style is not None:
            entry["style"] = style
        if icon is not None:
            entry["icon"] = {"url": icon}
        return {"value": entry} if label is None else {"label": label, "value": entry}

    @classmethod
    def from_json(cls, data: Any, *, fallback: str | None = None) -> Card:
        """Build from a card object as found in a notification body."""
        valid = validate_card(data)
        return cls(**valid, fallback=fallback)

    def to_json(self) -> dict[str, Any]:
        """The card object for a notification's ``card`` field; None fields omitted."""
        body: dict[str, Any] = {"style": self.style, "id": self.id, "title": self.title}
        optional = ("description", "url", "format", "icon", "thumbnail", "activity")
        for name in optional:
            value = getattr(self, name)
            if value is not None:
                body[name] = copy.deepcopy(value)
        if self.attributes:
            body["attributes"] = copy.deepcopy(list(self.attributes))
        return body

    def fallback_message(self, message_format: str = "html") -> str:
        """The fallback text: ``fallback`` if set, else the title (HTML-escaped for html)."""
        if self.fallback is not None:
            return self.fallback
        return html.escape(self.title) if message_format == "html" else self.title

    def to_notification(self, **options: Any) -> Notification:
        """A notification carrying this card; ``options`` are Notification fields."""
        fmt = _plain(options.get("message_format", "html"))
        options.setdefault("message", self.fallback_message(fmt))
        if "card" in options:
            raise NotificationError("to_notification() sets the card itself")
        try:
            return Notification(card=self.to_json(), **options)
        except TypeError as exc:
            raise NotificationError(str(exc)) from exc


def as_notification(
    value: str | Notification | Card | Mapping[str, Any] | None,
) -> Notification | None:
    """Coerce what a handler returns into a Notification (None stays None).

    A ``str`` becomes a *text* notification, so it is shown as written (never parsed as HTML) and
    @mentions work; wrap it in ``Notification(..., message_format="html")`` to send markup. A
    ``dict`` is read as a §6.3.1 body; a ``Card`` uses its fallback message.
    """
    if value is None or isinstance(value, Notification):
        return value
    if isinstance(value, Card):
        return value.to_notification()
    if isinstance(value, str):
        return Notification(value, message_format="text")
    if isinstance(value, Mapping):
        return Notification.from_json(value)
    raise NotificationError(f"cannot send a {type(value).__name__} as a notification")
