"""Keep JWTs out of log lines: a logging filter for access logs and HTTP client debug lines.

HipChat puts JWTs in URLs (``?signed_request=...`` on pages, glances and, sometimes, webhooks),
and every access log (Werkzeug, gunicorn) and urllib3's debug log print URLs. The filter
rewrites such records before any handler sees them: JWT-shaped strings and ``signed_request``
values become ``[redacted]``. The add-on's own log lines never contain secrets to begin with.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: loggers that print request URLs: the dev server, gunicorn, and the HTTP client's debug lines
URL_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "urllib3.connectionpool")

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SIGNED = re.compile(r"(signed_request=)[^&\s\"']+")


def redact(text: str) -> str:
    """``text`` with every JWT and ``signed_request`` value replaced by ``[redacted]``."""
    return _JWT.sub("[redacted]", _SIGNED.sub(r"\1[redacted]", text))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message when it holds a JWT; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place (message and arguments merged), then let the record through."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()


def install(names: Iterable[str] = URL_LOGGERS) -> None:
    """Attach the filter to each named logger (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
