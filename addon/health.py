"""``GET /healthz`` for load balancers: is the database reachable and its schema current?

Answers 200 ``{"status": "ok", ...}`` when every check passes, else 503 with the failing check
named; with ``ADDON_REDIS_URL`` set, Redis is pinged too. Errors are reported by type and first
line only (never a connection URL), and the endpoint needs no authentication, so it says
nothing about installations.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from addon.extension import runtime
from addon.store import migrate

blueprint = Blueprint("addon_health", __name__)


def _problem(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:300]


def check() -> tuple[bool, dict[str, Any]]:
    """Run the checks for the current app; (healthy, report)."""
    rt = runtime()
    report: dict[str, Any] = {}
    healthy = True
    try:
        with rt.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as exc:
        report["database"] = _problem(exc)
        report["migrations"] = "unknown"
        healthy = False
    else:
        try:
            current = migrate.is_current(rt.store.engine)
            report["migrations"] = "current" if current else "pending: run `flask addon db upgrade`"
            healthy = healthy and current
        except Exception as exc:
            report["migrations"] = _problem(exc)
            healthy = False
    cache = rt.tokens.cache
    if cache is not None:
        try:
            cache.redis.ping()
            report["redis"] = "ok"
        except Exception as exc:
            report["redis"] = _problem(exc)
            healthy = False
    report["status"] = "ok" if healthy else "unavailable"
    return healthy, report


@blueprint.get("/healthz")
def healthz() -> Response:
    """200 when the add-on can serve, 503 (with the failing check) when it cannot."""
    healthy, report = check()
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
