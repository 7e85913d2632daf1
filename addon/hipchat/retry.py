"""When and how long to wait before retrying a rate-limited or unavailable request.

HipChat answers 429 when a token's rate limit or a recipient's flood control is exhausted and
503 when it is briefly down; in both cases the request was not performed, so it is safe to
repeat. The wait honours ``Retry-After`` first, then the ``X-FloodControl-Reset`` /
``X-Ratelimit-Reset`` unix times (HIPCHAT.md §6.12), else an exponential back-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from addon.hipchat.response import Response

RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and pacing of retries: attempts, total time, minimum wait and back-off base."""

    max_retries: int = 3
    max_retry_time: float = 30.0
    min_wait: float = 0.05
    backoff: float = 0.5
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.max_retry_time < 0:
            raise ValueError("max_retry_time must be >= 0")
        if self.min_wait < 0 or self.backoff < 0:
            raise ValueError("min_wait and backoff must be >= 0")

    def should_retry(self, response: Response, attempt: int) -> bool:
        """True when ``response`` is retryable and ``attempt`` retries have not used them all."""
        return response.status_code in RETRY_STATUSES and attempt < self.max_retries

    def wait(self, response: Response, attempt: int, now: float) -> float:
        """Seconds to sleep before retry number ``attempt + 1`` (never below ``min_wait``)."""
        hinted = server_hint(response, now)
        if hinted is None:
            hinted = min(self.backoff * (2**attempt), self.max_backoff)
        return max(hinted, self.min_wait)


def retry_after(value: str | None, now: float) -> float | None:
    """Parse a ``Retry-After`` header (delta seconds or HTTP date) into seconds from ``now``."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() - now


def server_hint(response: Response, now: float) -> float | None:
    """Seconds the server asks us to wait, from Retry-After or an exhausted window's reset.

    Flood control counts per recipient and resets within a minute, so an exhausted flood
    window wins over the token's 5-minute window. A 429 always honours ``X-Ratelimit-Reset``;
    a 503 only when the rate window is exhausted (its reset says nothing about an outage).
    """
    after = retry_after(response.headers.get("Retry-After"), now)
    if after is not None:
        return after
    if response.flood_remaining == 0 and response.flood_reset is not None:
        return response.flood_reset - now
    rate_exhausted = response.rate_remaining == 0 or response.status_code == 429
    if rate_exhausted and response.rate_reset is not None:
        return response.rate_reset - now
    return None
