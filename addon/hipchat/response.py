"""The result of one REST API call: status, parsed JSON body and the rate-limit headers.

HipChat sends ``X-Ratelimit-*`` on every response and ``X-FloodControl-*`` on message-sending
calls (HIPCHAT.md §6.12); header names are matched case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from requests.structures import CaseInsensitiveDict


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    """Return header ``name`` as an int, or None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError, OverflowError):
        return None


def parse_body(content: bytes) -> Any:
    """Decode a JSON body; None for an empty or non-JSON body (HipChat's 204s are empty)."""
    if not content or not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Response:
    """An immutable view of one HTTP response from HipChat."""

    status_code: int
    data: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""
    url: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", CaseInsensitiveDict(self.headers))

    @property
    def ok(self) -> bool:
        """True for any 2xx status (HipChat answers 200, 201, 202 or 204 on success)."""
        return 200 <= self.status_code < 300

    @property
    def rate_limit(self) -> int | None:
        """``X-Ratelimit-Limit``: requests allowed per window."""
        return _header_int(self.headers, "X-Ratelimit-Limit")

    @property
    def rate_remaining(self) -> int | None:
        """``X-Ratelimit-Remaining``: requests left in the current window."""
        return _header_int(self.headers, "X-Ratelimit-Remaining")

    @property
    def rate_reset(self) -> int | None:
        """``X-Ratelimit-Reset``: unix time (seconds) when the window resets."""
        return _header_int(self.headers, "X-Ratelimit-Reset")

    @property
    def flood_limit(self) -> int | None:
        """``X-FloodControl-Limit``: messages allowed per minute to this recipient."""
        return _header_int(self.headers, "X-FloodControl-Limit")

    @property
    def flood_remaining(self) -> int | None:
        """``X-FloodControl-Remaining``: messages left for this recipient."""
        return _header_int(self.headers, "X-FloodControl-Remaining")

    @property
    def flood_reset(self) -> int | None:
        """``X-FloodControl-Reset``: unix time (seconds) when flood control resets."""
        return _header_int(self.headers, "X-FloodControl-Reset")

    @classmethod
    def from_http(cls, raw: Any) -> Response:
        """Build from a ``requests.Response`` (body parsed once, eagerly)."""
        content = raw.content or b""
        try:
            text = content.decode(raw.encoding or "utf-8", errors="replace")
        except LookupError:
            text = content.decode("utf-8", errors="replace")
        return cls(
            status_code=int(raw.status_code),
            data=parse_body(content),
            headers=raw.headers,
            reason=str(raw.reason or ""),
            url=str(raw.url or ""),
            text=text,
        )
