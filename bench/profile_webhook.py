"""Where the add-on's webhook time goes: in-process cost per request, with a profile.

Calls the WSGI apps directly (no server, no sockets) with the benchmark's signed ``/status``
webhook, so the figures are the framework's own CPU cost: microseconds per request for the
add-on and for bare Flask, then a pyinstrument profile of the add-on (``pip install -r
bench/requirements.txt``; without pyinstrument, cProfile's top functions are shown).

    .venv/bin/python bench/profile_webhook.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness

WSGIApp = Callable[..., Any]


def environ_for(body: bytes, token: str) -> dict[str, Any]:
    """A WSGI environ for the benchmark request (the body stream is replaced per call)."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path="/addon/webhook/status",
        method="POST",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"JWT {token}"},
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


class Requests:
    """Distinct signed webhooks (fresh jti and message id each), built before the timing."""

    def __init__(self, installations: list[tuple[str, str]], count: int) -> None:
        self.items = []
        for number in range(count):
            oauth_id, secret = installations[number % len(installations)]
            payload = harness.webhook_body(oauth_id, harness.STATUS_TEXT, message_id=f"p{number}")
            body = json.dumps(payload, separators=(",", ":")).encode()
            self.items.append((environ_for(body, harness.sign(oauth_id, secret)), body))
        self.next = 0

    def take(self) -> tuple[dict[str, Any], bytes]:
        """The next unused request."""
        item = self.items[self.next]
        self.next += 1
        return item


def call(app: WSGIApp, environ: dict[str, Any], body: bytes) -> str:
    """One request through ``app``; returns the status line."""
    status: list[str] = []
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    chunks = app(env, lambda s, h, e=None: status.append(s))
    try:
        for _ in chunks:
            pass
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return status[0]


def per_request_us(app: WSGIApp, pool: Requests, count: int) -> float:
    """Median over 3 batches of the CPU microseconds one request takes."""
    batches = []
    for _ in range(3):
        start = time.process_time()
        for _ in range(count):
            call(app, *pool.take())
        batches.append((time.process_time() - start) / count * 1e6)
    return harness.median(batches)


def main() -> int:
    """Measure both apps, profile the add-on, record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="addon-profile-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'addon.db'}"
        installations = harness.seed_installations(database_url, 1)
        # wsgi.py builds its app at import, from the environment, as under gunicorn.
        os.environ.update(harness.addon_env(database_url, "http://127.0.0.1:5000"))
        import bare_app

        import wsgi

        addon_app = wsgi.app
        pool = Requests(installations, 2 * (4 * args.requests + 200))
        for app in (addon_app, bare_app.app):
            for _ in range(200):
                status = call(app, *pool.take())
                if not status.startswith("200"):
                    raise RuntimeError(f"warm-up request answered {status}")
        costs = {
            "add-on": per_request_us(addon_app, pool, args.requests),
            "bare Flask": per_request_us(bare_app.app, pool, args.requests),
        }
        profile_text = profile(addon_app, pool, args.requests)
        addon_app.extensions["addon"].store.dispose()

    lines = harness.header(
        "In-process cost per webhook (bench/profile_webhook.py)",
        {
            "requests": f"{args.requests} x 3 batches per app, WSGI called directly, CPU time",
            "add-on": "SQLite (replay and duplicate checks in the database), one installation",
        },
    )
    lines += ["| app | CPU us/request |", "|---|---|"]
    lines += [f"| {name} | {cost:.0f} |" for name, cost in costs.items()]
    lines += [
        "",
        f"- framework overhead: {costs['add-on'] - costs['bare Flask']:.0f} us/request "
        f"({costs['add-on'] / costs['bare Flask']:.2f}x bare Flask)",
        "",
        "Profile of the add-on's path (top of the call tree):",
        "",
        "```",
        profile_text.strip(),
        "```",
    ]
    harness.emit("profile", lines)
    return 0


def profile(app: WSGIApp, pool: Requests, count: int) -> str:
    """A text profile of ``count`` requests: pyinstrument when installed, else cProfile."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            call(app, *pool.take())
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        return "cProfile (pyinstrument not installed)\n" + out.getvalue()
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(count):
        call(app, *pool.take())
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    return "\n".join(text.splitlines()[:60])


if __name__ == "__main__":
    raise SystemExit(main())
