"""How history items look on the chat page: text escaped with @mentions and links marked up,
HTML notifications through the allow-list sanitiser, cards (HIPCHAT.md §7.4) as plain parts.

Everything returned as ``Markup`` has been escaped or sanitised here; templates print the rest
with Jinja's autoescaping.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from addon.emulator.state.models import Message
from addon.emulator.state.rooms import RoomOps
from addon.emulator.ui.sanitize import IMAGE_SCHEMES, safe_url, sanitize, sanitize_card_html

COLORS = ("yellow", "green", "red", "purple", "gray")
_TOKEN = re.compile(r"(?P<url>https?://[^\s<>\"']+)|(?<![\w@])@(?P<mention>\w[\w.\-]*)")
SPECIAL_MENTIONS = frozenset({"all", "here"})


def text_html(text: str, mention_names: frozenset[str] = frozenset()) -> Markup:
    """Plain text as safe HTML: escaped, http(s) links made clickable, @mentions of known users
    (and @all / @here) highlighted, line breaks kept."""
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url, name = match.group("url"), match.group("mention")
        if url is not None:
            trail = re.search(r"[.,;:!?)]+$", url)
            cut = url[: trail.start()] if trail else url
            link = html.escape(cut, quote=True)
            out.append(f'<a href="{link}" target="_blank" rel="noopener noreferrer">{link}</a>')
            out.append(html.escape(url[len(cut) :]))
        elif name.lower() in mention_names or name.lower() in SPECIAL_MENTIONS:
            out.append(f'<span class="mention">@{html.escape(name)}</span>')
        else:
            out.append(html.escape(match.group(0)))
        last = match.end()
    out.append(html.escape(text[last:]))
    return Markup("".join(out).replace("\n", "<br>"))


@dataclass
class CardView:
    """A card's parts, each already safe: URLs checked, HTML sanitised, text left to Jinja."""

    style: str
    title: str
    url: str | None
    format: str
    description: Markup | None
    icon: str | None
    thumbnail: str | None
    activity: Markup | None
    attributes: list[dict[str, Any]] = field(default_factory=list)


def _image(value: Any) -> str | None:
    if isinstance(value, dict):
        return safe_url(_str(value.get("url")), IMAGE_SCHEMES)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def card_view(card: dict[str, Any]) -> CardView:
    """A §7.4 card made safe to render; unknown or unsafe parts are left out."""
    description: Markup | None = None
    raw = card.get("description")
    if isinstance(raw, dict):
        value = _str(raw.get("value")) or ""
        if raw.get("format") == "html":
            description = Markup(sanitize_card_html(value))
        else:
            description = text_html(value)
    elif isinstance(raw, str):
        description = text_html(raw)
    activity = card.get("activity")
    activity_html = None
    if isinstance(activity, dict) and _str(activity.get("html")):
        activity_html = Markup(sanitize_card_html(activity["html"]))
    attributes = []
    for entry in card.get("attributes") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), dict):
            continue
        value = entry["value"]
        style = value.get("style") if isinstance(value.get("style"), str) else ""
        attributes.append(
            {
                "label": _str(entry.get("label")) or "",
                "value": _str(value.get("label")) or "",
                "url": safe_url(_str(value.get("url"))),
                "icon": _image(value.get("icon")),
                "lozenge": style if style.startswith("lozenge") else None,
            }
        )
    return CardView(
        style=_str(card.get("style")) or "application",
        title=_str(card.get("title")) or "",
        url=safe_url(_str(card.get("url"))),
        format=card.get("format") if card.get("format") in ("compact", "medium") else "medium",
        description=description,
        icon=_image(card.get("icon")),
        thumbnail=_image(card.get("thumbnail")),
        activity=activity_html,
        attributes=attributes,
    )


@dataclass
class MessageView:
    """One history item ready for the ``_message.html`` template."""

    id: str
    kind: str
    sender: str
    time: str
    color: str | None
    body: Markup
    card: CardView | None
    from_addon: bool = False
    oauth_id: str | None = None


def message_view(state: RoomOps, message: Message) -> MessageView:
    """Render one history item; reads users under the emulator's lock."""
    with state.lock:
        everyone = state.list_users(include_guests=True, include_deleted=True)
        names = frozenset(u.mention_name.lower() for u in everyone)
        sender_user = state.find_user(message.from_user_id) if message.from_user_id else None
    if message.type == "notification":
        sender = message.from_label or "Notification"
        color = message.color if message.color in COLORS else "yellow"
        if (message.message_format or "html") == "html":
            body = Markup(sanitize(message.text))
        else:
            body = text_html(message.text, names)
    else:
        sender = sender_user.name if sender_user else "Unknown user"
        color = None
        body = text_html(message.text, names)
    return MessageView(
        id=message.id,
        kind=message.type,
        sender=sender,
        time=message.date.strftime("%H:%M:%S"),
        color=color,
        body=body,
        card=card_view(message.card) if isinstance(message.card, dict) else None,
        from_addon=bool(message.sender_client_id),
        oauth_id=message.sender_client_id,
    )
