"""Per-request hooks for /v2: journal, injected faults, rate limiting and the limit headers.

Every /v2 response — 2xx, 204 and errors alike — carries X-Ratelimit-Limit, -Remaining and
-Reset (HIPCHAT.md §6.12, §8: a client raises when one is missing); message sends also carry
X-FloodControl-*. Requests are counted per token; calls without a valid token (capabilities,
the token endpoint, 401s) are not counted and report the full limit.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Flask, Response, g, request

from addon.emulator.exceptions import ApiError, RateLimitedError
from addon.emulator.state.faults import Fault
from addon.emulator.state.limits import Window
from addon.emulator.web.auth import emulator, token_from_request
from addon.emulator.web.errors import error_response
from addon.emulator.web.middleware import RESET_KEY

JOURNAL_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "User-Agent",
    "Origin",
    "X-Requested-With",
)

FAULT_MESSAGE = "Fault injected by the emulator"


def is_api_request() -> bool:
    """Whether the current request is a HipChat API call (under /v2)."""
    return request.path == "/v2" or request.path.startswith("/v2/")


def rate_key() -> str:
    """The caller's counter key: its token when that token is live, else its address."""
    raw = token_from_request()
    state = emulator()
    if raw is not None:
        with state.lock:
            token = state.tokens.get(raw)
            if token is not None and not token.is_expired():
                return "token:" + raw
    return "anon:" + (request.remote_addr or "unknown")


def _journal_entry() -> dict[str, Any]:
    body: Any = None
    raw = request.get_data(cache=True)
    if raw and not request.mimetype.endswith(("form-urlencoded", "form-data")):
        try:
            body = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            body = None
    return {
        "time": time.time(),
        "method": request.method,
        "path": request.path,
        "raw_path": request.environ.get("emulator.raw_path", request.path),
        "query": {key: request.args.getlist(key) for key in request.args},
        "json": body,
        "form": {key: request.form.getlist(key) for key in request.form},
        "headers": {
            name: request.headers[name] for name in JOURNAL_HEADERS if name in request.headers
        },
        "status": None,
    }


def before_api_request() -> None:
    """Note the host; for /v2 calls journal the call, apply a matching fault, then count it
    against the rate limit."""
    state = emulator()
    state.observe_base_url(request.host_url)
    if not is_api_request():
        return
    g.journal_entry = state.record_request(_journal_entry())
    g.rate_key = rate_key()
    fault = state.take_fault(request.method, request.path)
    if fault is not None:
        if fault.after:
            g.after_fault = fault  # the call does its work first; see after_api_request
        else:
            _apply_fault(fault)
    if g.rate_key.startswith("anon:"):
        g.rate = state.peek_rate(g.rate_key)
        return
    window = state.count_request(g.rate_key)
    g.rate = window
    if not window.allowed:
        raise RateLimitedError("Rate Limit exceeded")


def _apply_fault(fault: Fault) -> None:
    """Stall, then answer the fault's status or drop the connection (``reset``)."""
    if fault.delay:
        time.sleep(fault.delay)
    if fault.reset:
        request.environ[RESET_KEY] = True
        raise ApiError(FAULT_MESSAGE, 500)  # never seen: the middleware drops the connection
    if fault.status is not None:
        g.fault = fault
        raise ApiError(fault.message or FAULT_MESSAGE, fault.status)


def flood_check(recipient: str) -> None:
    """Count a message send to ``recipient`` for the caller; 429 past the flood limit."""
    window = emulator().count_flood(g.rate_key, recipient)
    g.flood = window
    if not window.allowed:
        raise RateLimitedError("Flood control limit exceeded for this recipient")


def _set_window(response: Response, prefix: str, window: Window) -> None:
    response.headers[f"{prefix}-Limit"] = str(window.limit)
    response.headers[f"{prefix}-Remaining"] = str(window.remaining)
    response.headers[f"{prefix}-Reset"] = str(window.reset)


def after_api_request(response: Response) -> Response:
    """Add the rate-limit (and flood-control) headers; note the status in the journal."""
    if not is_api_request():
        return response
    after_fault = g.pop("after_fault", None)
    if after_fault is not None:
        try:
            _apply_fault(after_fault)
        except ApiError as error:
            response = error_response(error.status, error.message, error.headers)
    state = emulator()
    key = g.get("rate_key") or rate_key()
    window: Window = g.get("rate") or state.peek_rate(key)
    fault = g.get("fault")
    if fault is not None and fault.status == 429:
        window = Window(window.limit, 0, int(time.time()) + 1, False)
    _set_window(response, "X-Ratelimit", window)
    flood = g.get("flood")
    if flood is not None:
        _set_window(response, "X-FloodControl", flood)
    if response.status_code == 429 and "Retry-After" not in response.headers:
        reset = flood.reset if flood is not None and not flood.allowed else window.reset
        response.headers["Retry-After"] = str(max(1, reset - int(time.time())))
    entry = g.get("journal_entry")
    if entry is not None:
        with state.lock:
            # A dropped connection answered nothing: the journal says so instead of a status.
            entry["status"] = None if request.environ.get(RESET_KEY) else response.status_code
            if request.environ.get(RESET_KEY):
                entry["reset"] = True
    return response


def register_hooks(app: Flask) -> None:
    """Install the /v2 before/after request hooks."""
    app.before_request(before_api_request)
    app.after_request(after_api_request)
