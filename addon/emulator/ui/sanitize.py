"""An allow-list HTML sanitiser for notifications and cards (HIPCHAT.md §7.2), on html.parser.

HipChat rendered only a curated subset of HTML; the chat page does the same, server-side, so
nothing an add-on sends can run in the page: unknown tags are dropped (their text kept, except
inside script/style-like elements, whose content goes too), attributes are kept only when listed
for their tag, URLs only with a safe scheme, inline styles only with a few plain properties, and
the output is always well-formed (every open tag closed, every text and attribute re-escaped).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser

#: Tags HipChat accepted in HTML notifications and private messages (§7.2).
MESSAGE_TAGS: frozenset[str] = frozenset(
    {"a", "b", "i", "strong", "em", "br", "img", "pre", "code", "ul", "ol", "li"}
    | {"table", "tr", "td", "th", "span"}
)
#: Tags allowed in a card's HTML fields (§7.2, last bullet).
CARD_TAGS: frozenset[str] = frozenset({"a", "b", "i", "strong", "span"})

ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "rel", "data-target", "data-target-options"}),
    "img": frozenset({"src", "alt", "width", "height", "align", "style"}),
    "td": frozenset({"colspan", "rowspan", "valign"}),
    "th": frozenset({"colspan", "rowspan", "valign"}),
    "tr": frozenset({"valign"}),
    "span": frozenset({"style"}),
}
URL_ATTRIBUTES = frozenset({"href", "src"})
STYLE_PROPERTIES = frozenset({"font-weight", "color", "text-decoration", "height", "width"})
#: Elements dropped together with everything inside them.
DROP_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea"}
    | {"title", "xmp", "noembed", "noframes", "svg", "math", "select", "head"}
)
VOID = frozenset({"br", "img"})
MAX_DEPTH = 64

LINK_SCHEMES = ("http", "https", "mailto")
IMAGE_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_STYLE_VALUE = re.compile(r"^[#a-zA-Z0-9 .,%\-]{1,64}$")
_NUMBER = re.compile(r"^\d{1,4}%?$")
_ALIGN = frozenset({"left", "right", "top", "middle", "bottom", "center"})


def safe_url(value: str | None, schemes: Iterable[str] = LINK_SCHEMES) -> str | None:
    """``value`` when it is a relative URL or uses one of ``schemes``; None otherwise (e.g.
    ``javascript:``, ``data:``, ``vbscript:``, even when hidden by entities, case or blanks)."""
    if value is None:
        return None
    probe = _INVISIBLE.sub("", value)
    if not probe:
        return None
    match = _SCHEME.match(probe)
    if match is None:
        return None if ":" in probe.split("/", 1)[0] else value.strip()
    return value.strip() if match.group(1).lower() in tuple(schemes) else None


def clean_style(value: str) -> str | None:
    """Keep only ``font-weight, color, text-decoration, height, width`` declarations with plain
    values (no ``url()``, ``expression()``, escapes or comments); None when nothing is left."""
    kept: list[str] = []
    for declaration in value.split(";"):
        name, sep, raw = declaration.partition(":")
        prop, val = name.strip().lower(), raw.strip()
        if sep and prop in STYLE_PROPERTIES and _STYLE_VALUE.match(val):
            kept.append(f"{prop}: {val}")
    return "; ".join(kept) or None


def _clean_attribute(tag: str, name: str, value: str) -> str | None:
    if name in URL_ATTRIBUTES:
        return safe_url(value, IMAGE_SCHEMES if tag == "img" else LINK_SCHEMES)
    if name == "style":
        return clean_style(value)
    if name in ("width", "height", "colspan", "rowspan"):
        return value.strip() if _NUMBER.match(value.strip()) else None
    if name in ("align", "valign"):
        return value.strip().lower() if value.strip().lower() in _ALIGN else None
    return value


class _Sanitiser(HTMLParser):
    """Streams allowed markup into ``out``; keeps a stack so the result is balanced."""

    def __init__(self, tags: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.out: list[str] = []
        self.stack: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in DROP_CONTENT:
            if tag in DROP_CONTENT:
                self.skipping.append(tag)
            return
        if tag not in self.tags or len(self.stack) >= MAX_DEPTH:
            return
        allowed = ATTRIBUTES.get(tag, frozenset())
        parts = [tag]
        seen: set[str] = set()
        for name, value in attrs:
            if name not in allowed or name in seen or value is None:
                continue
            cleaned = _clean_attribute(tag, name, value)
            if cleaned is not None:
                seen.add(name)
                parts.append(f'{name}="{html.escape(cleaned, quote=True)}"')
        if tag == "a":  # links open outside the chat, never with access to it
            parts = [p for p in parts if not p.startswith("rel=")]
            given = dict(attrs).get("rel") or ""
            rel = [t for t in given.lower().split() if t.isalnum() and t != "opener"]
            rel += [t for t in ("noopener", "noreferrer") if t not in rel]
            parts += [f'rel="{" ".join(rel)}"', 'target="_blank"']
        self.out.append("<" + " ".join(parts) + ">")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag and not self.skipping:
            self.handle_endtag(tag)
        elif tag in DROP_CONTENT and self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in self.skipping:
                while self.skipping and self.skipping.pop() != tag:
                    pass
            return
        if tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        """The sanitised markup, with every still-open tag closed."""
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.stack))
        self.stack.clear()
        return "".join(self.out)


def sanitize(markup: str, tags: frozenset[str] = MESSAGE_TAGS) -> str:
    """``markup`` reduced to ``tags`` (default: HipChat's notification subset) and their listed
    attributes; safe to insert into a page as HTML."""
    parser = _Sanitiser(tags)
    parser.feed(markup)
    return parser.result()


def sanitize_card_html(markup: str) -> str:
    """Sanitise a card field (description, activity): only ``a, b, i, strong, span``."""
    return sanitize(markup, CARD_TAGS)
