"""No reply lost, none duplicated: 200 replies through the outbox, 30 % of sends failing (5xx
before and after HipChat posted the message, connection resets before and after, answers later
than the client's timeout), flood control scaled down to 30 messages per second at both ends."""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from addon import Addon
from addon.emulator import create_app as create_emulator
from addon.extension import EXTENSION_KEY
from addon.testing import EmulatorHandle, LiveServer, serve

LOBBY = 1
REPLIES = 200
FLOOD_LIMIT = 30
FLOOD_WINDOW = 1
FAILURE_RATE = 0.3
NOTIFICATION = re.compile(r"^/v2/room/[^/]+/notification$")


HTTP_TIMEOUT = 1.0
#: The faults drawn from: refused (5xx), posted then answered 500, dropped before posting, posted
#: then dropped, posted then answered after the add-on gave up waiting. None of the posted ones
#: may be sent twice.
FAULTS: list[dict[str, Any]] = [
    {"status": 500},
    {"status": 500, "after": True},
    {"status": 503},
    {"reset": True},
    {"reset": True, "after": True},
    {"delay": HTTP_TIMEOUT + 0.5, "after": True},
]


class FaultEveryThird:
    """WSGI middleware: before ~30 % of notification POSTs (seeded), add a one-shot fault through
    the emulator's own fault injection, so failures of every kind are spread over the run."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.random = random.Random(7)
        self.injected = 0
        self.kinds: Counter[str] = Counter()

    def kinds_posted(self) -> int:
        """Injected faults that let the message through (``after``)."""
        return sum(n for kind, n in self.kinds.items() if json.loads(kind).get("after"))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        notification = environ.get("REQUEST_METHOD") == "POST" and NOTIFICATION.match(path)
        if notification and self.random.random() < FAILURE_RATE:
            fault = self.random.choice(FAULTS)
            self.app.extensions["emulator"].add_fault(
                {"path": f"^{re.escape(path)}$", "count": 1, **fault}
            )
            self.injected += 1
            self.kinds[json.dumps(fault, sort_keys=True)] += 1
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def faults() -> FaultEveryThird:
    app = create_emulator(
        {"EMULATOR_FLOOD_LIMIT": FLOOD_LIMIT, "EMULATOR_FLOOD_WINDOW": FLOOD_WINDOW}
    )
    middleware = FaultEveryThird(app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    return middleware


@pytest.fixture
def emulator(faults: FaultEveryThird) -> Iterator[EmulatorHandle]:
    """This module's emulator: scaled-down flood control, failures injected (overrides the
    plugin's fixture, so ``serve_addon`` trusts this one)."""
    live = serve(faults.app)
    handle = EmulatorHandle(live)
    yield handle
    handle.wait_idle()
    live.stop()


def burst_bot(config: dict[str, Any]) -> Flask:
    """An add-on whose ``/burst N`` replies N numbered times through ``event.reply``."""
    app = Flask(__name__)
    app.config.update(config)
    # view_messages lets the outbox look in the history after a send whose answer was lost.
    addon = Addon(
        app, key="com.example.burst", name="Burst", scopes=["send_notification", "view_messages"]
    )

    @addon.on("room_message", pattern=r"^/burst (?P<count>\d+)$")
    def burst(event: Any) -> None:
        for number in range(int(event.match["count"])):
            event.reply(f"reply {number:03d}", message_format="text")

    return app


def test_200_replies_arrive_once_in_order_despite_failures_and_flood_control(
    emulator: EmulatorHandle,
    faults: FaultEveryThird,
    serve_addon: Callable[..., LiveServer],
) -> None:
    bot = serve_addon(
        burst_bot,
        ADDON_FLOOD_LIMIT=FLOOD_LIMIT,
        ADDON_FLOOD_WINDOW=FLOOD_WINDOW,
        ADDON_HTTP_TIMEOUT=HTTP_TIMEOUT,
        ADDON_OUTBOX_POLL=0.1,
        ADDON_OUTBOX_BACKOFF=0.05,
        ADDON_OUTBOX_BACKOFF_MAX=0.5,
    )
    emulator.install(f"{bot.url}/addon/descriptor", room=LOBBY)
    sender = bot.app.extensions[EXTENSION_KEY].outbox

    started = time.monotonic()
    emulator.say(LOBBY, f"/burst {REPLIES}")
    while time.monotonic() - started < 120:
        status = sender.status()
        if status.pending == 0 and status.delivered == REPLIES:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started

    status = sender.status()
    assert (status.pending, status.delivered, status.failed) == (0, REPLIES, 0)
    texts = [
        m["message"]
        for m in emulator.history(LOBBY)
        if m.get("type") == "notification" and m["message"].startswith("reply ")
    ]
    assert texts == [f"reply {n:03d}" for n in range(REPLIES)]  # all, once each, in order

    entries = emulator.requests_to(NOTIFICATION.pattern, "POST")
    statuses = [entry["status"] for entry in entries]
    assert len(entries) >= REPLIES + faults.injected - faults.kinds_posted()
    assert faults.injected >= 0.2 * len(statuses)  # about 30 % of the sends failed
    assert not any(a == b == 429 for a, b in itertools.pairwise(statuses))
    assert sender.counts["confirmed"] >= 1  # posted-then-lost sends were found, not resent
    # The limiter keeps the run just above the flood-control minimum: 200 / 30 per second.
    assert elapsed >= (REPLIES // FLOOD_LIMIT - 1) * FLOOD_WINDOW
    print(
        f"outbox e2e: {REPLIES} replies in {elapsed:.1f}s, {len(statuses)} sends, "
        f"{faults.injected} injected failures {dict(faults.kinds)}, {statuses.count(429)} 429s, "
        f"counts {dict(sender.counts)}"
    )
