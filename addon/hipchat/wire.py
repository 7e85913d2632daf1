"""Small pure helpers for building HipChat URLs and query strings.

Path identifiers (room names, emails, ``@mentions``) are quoted as single path segments;
query values follow HipChat's conventions (booleans as "true"/"false", HIPCHAT.md §6.0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

Params = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


def normalise_base_url(base_url: str) -> str:
    """Validate an absolute http(s) API base and make it end with exactly one "/"."""
    if not isinstance(base_url, str):
        raise TypeError("base_url must be a string")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    return base_url.strip().rstrip("/") + "/"


def is_absolute(url: str) -> bool:
    """True for a URL with scheme and host (e.g. ``links.next`` or a ``tokenUrl``)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket; requests will refuse it
        return False
    return bool(parts.scheme and parts.netloc)


def query_value(value: Any) -> str:
    """Format one query-string value: booleans as "true"/"false", str Enums by value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    enum_value = getattr(value, "value", None)
    if isinstance(value, str) and isinstance(enum_value, str):
        return enum_value
    return str(value)


def clean_params(params: Params) -> list[tuple[str, str]]:
    """Drop None values and stringify the rest, keeping order (and repeated names)."""
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    return [(str(k), query_value(v)) for k, v in items if v is not None]


def segment(identifier: int | str, safe: str = "") -> str:
    """Quote one path identifier so "/", "?", "#", "%" and spaces cannot escape its segment."""
    if isinstance(identifier, bool):
        raise TypeError("an identifier cannot be a bool")
    text = str(identifier)
    if text == "":
        raise ValueError("an identifier cannot be empty")
    return quote(text, safe=safe)


def flatten_names(names: Iterable[Any]) -> list[str]:
    """Flatten ``"a"``, ``["a", "b"]``, ``"a,b"`` and mixes into a list of non-empty names."""
    out: list[str] = []
    for name in names:
        if isinstance(name, str):
            out.extend(part.strip() for part in name.split(",") if part.strip())
        elif isinstance(name, Iterable):
            out.extend(flatten_names(name))
        else:
            raise TypeError(f"expand names must be strings, got {type(name).__name__}")
    return out
