"""Load: 10,000 signed ``/deploy staging`` webhooks at concurrency 32 against the example add-on.

wsgi:app runs under ``gunicorn -c gunicorn.conf.py`` (the repository's production settings, with
a worker count suited to a 2-core machine) on SQLite, with replay and duplicate-delivery
protection on: every webhook carries its own JWT (``jti``) and its own message id. The emulator
is a subprocess (``bench/emulator_server.py`` under gunicorn gthread, keep-alive, rate and flood
limits raised) so that it is not the bottleneck and does not share this process's GIL with the
32 sender threads. Each handler replies through the API (``event.reply``) and in the body.

Checked: every response is 2xx; the room's history holds exactly one API reply per webhook (each
webhook names a distinct sender, so each reply text is unique: none lost, none duplicated); no
worker was replaced; each worker's RSS (VmRSS from /proc) after 10,000 webhooks is within 5 %
(or 4 MiB) of its RSS after the first 1,000. The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from addon.auth import sign_jwt
from addon.hipchat import HipChat
from addon.store import Installation, Store
from addon.store.migrate import upgrade
from bench import harness

pytestmark = pytest.mark.slow

WEBHOOKS = 10_000
WARM_UP = 1_000  # the first RSS sample is taken after this many webhooks
CONCURRENCY = 32
WORKERS = 2  # gunicorn workers (gthread, THREADS each): as fast as 3 on 2 cores, less memory
THREADS = 4
OVERALL_SECONDS = 180.0  # sending, draining and counting together
RSS_GROWTH = 0.05  # relative allowance ...
RSS_SLACK_KIB = 4 * 1024  # ... or this much absolute growth, whichever is larger
TARGET = "staging"


class Sender:
    """Posts pre-signed webhooks from CONCURRENCY threads, one keep-alive Session per thread."""

    def __init__(self, url: str, deadline: float) -> None:
        self.url = url
        self.deadline = deadline
        self.local = threading.local()
        self.sessions: list[requests.Session] = []
        self.lock = threading.Lock()
        self.statuses: Counter[int | str] = Counter()
        self.failures: list[str] = []

    def session(self) -> requests.Session:
        """This thread's Session (created on first use)."""
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            with self.lock:
                self.sessions.append(session)
        return session

    def send(self, item: tuple[str, dict[str, Any]]) -> None:
        """POST one webhook; record its status (or why it was not answered)."""
        token, body = item
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.record("not sent", "the overall deadline passed first")
            return
        try:
            response = self.session().post(
                self.url,
                json=body,
                headers={"Authorization": f"JWT {token}"},
                timeout=min(30.0, remaining),
            )
        except requests.RequestException as exc:
            self.record(type(exc).__name__, str(exc))
            return
        self.record(response.status_code, response.text)

    def record(self, status: int | str, text: str = "") -> None:
        """Count one outcome; keep a few non-2xx answers for the failure message."""
        with self.lock:
            self.statuses[status] += 1
            ok = isinstance(status, int) and 200 <= status < 300
            if not ok and len(self.failures) < 5:
                self.failures.append(f"{status} {text[:200]}")

    def fire(self, items: list[tuple[str, dict[str, Any]]]) -> float:
        """Send ``items`` at CONCURRENCY; the seconds it took."""
        started = time.monotonic()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(self.send, items))
        return time.monotonic() - started

    @property
    def errors(self) -> int:
        """Webhooks not answered with a 2xx."""
        ok = sum(n for s, n in self.statuses.items() if isinstance(s, int) and 200 <= s < 300)
        return sum(self.statuses.values()) - ok

    def close(self) -> None:
        """Close every keep-alive connection (so gunicorn's graceful stop is not held up)."""
        for session in self.sessions:
            session.close()


@pytest.fixture
def work() -> Iterator[Path]:
    """A scratch directory for the databases and the servers' logs."""
    with tempfile.TemporaryDirectory(prefix="addon-load-") as tmp:
        yield Path(tmp)


def start_addon(work: Path, database_url: str, emulator_host: str) -> harness.Server:
    """wsgi:app under ``gunicorn -c gunicorn.conf.py`` (the repository's settings)."""
    port = harness.free_port()
    env = harness.addon_env(
        database_url, f"http://127.0.0.1:{port}", ADDON_TRUSTED_HOSTS=emulator_host
    )
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
        GUNICORN_GRACEFUL_TIMEOUT="3",
    )
    command = [str(harness.BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]
    return harness.start_server(
        "addon", command, port, env=env, ready_path="/healthz", log_dir=work, timeout=60
    )


def install(emulator_url: str, addon_url: str, room_id: int, database_url: str) -> tuple[str, str]:
    """Install the add-on into ``room_id`` through the emulator; (oauth_id, secret)."""
    installed = requests.post(
        f"{emulator_url}/emulator/api/installations",
        json={"descriptor_url": f"{addon_url}/addon/descriptor", "room": room_id},
        timeout=60,
    )
    assert installed.status_code == 201, installed.text
    oauth_id = installed.json()["oauthId"]
    store = Store(database_url, harness.SECRET_KEY)
    try:
        with store.session() as session:
            row = session.get(Installation, oauth_id)
            assert row is not None, "the add-on did not store the installation"
            return oauth_id, store.box.decrypt(row.oauth_secret_encrypted)
    finally:
        store.dispose()


def sender_name(number: int) -> str:
    """The display name of webhook ``number``'s sender: it makes each reply text unique."""
    return f"Load Tester {number:05d}"


def webhooks(oauth_id: str, secret: str, room_id: int) -> list[tuple[str, dict[str, Any]]]:
    """WEBHOOKS distinct signed webhooks: fresh JWT (jti), message id and sender each."""
    items = []
    for number in range(WEBHOOKS):
        body = harness.webhook_body(
            oauth_id, f"/deploy {TARGET}", room_id=room_id, message_id=f"load-{number}"
        )
        user_id = 100_000 + number
        body["item"]["message"]["from"] = {
            "id": user_id,
            "name": sender_name(number),
            "mention_name": f"load{number}",
        }
        # The JWT's user must be the event's sender; it must outlive the run.
        token = sign_jwt(oauth_id, secret, sub=user_id, context={"room_id": room_id})
        items.append((token, body))
    return items


def reply_texts(emulator_url: str, room_id: int, deadline: float) -> Counter[str]:
    """The room's notification texts, counted, once WEBHOOKS have arrived (or at ``deadline``).

    Replies are sent while the webhook is handled today; polling also covers a deferred sender.
    """
    client = HipChat(
        token=harness.admin_token(emulator_url, ["view_messages"]),
        base_url=f"{emulator_url}/v2/",
    )
    room = client.room(room_id)
    seen, changed = -1, time.monotonic()
    while True:
        texts = Counter(
            item["message"]
            for item in room.iter_history(max_results=1000, reverse=False)
            if item.get("type") == "notification"
        )
        now = time.monotonic()
        if sum(texts.values()) != seen:
            seen, changed = sum(texts.values()), now
        if seen >= WEBHOOKS or now >= deadline or now - changed > 5:
            return texts
        time.sleep(0.5)


def log_tail(path: Path, lines: int = 40) -> str:
    """The end of a server's log, for failure messages."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def rss(pids: list[int]) -> dict[int, int]:
    """VmRSS (KiB) of each pid."""
    return {pid: harness.rss_kib(pid) for pid in pids}


def test_10000_webhooks_at_concurrency_32(work: Path) -> None:
    deadline = time.monotonic() + OVERALL_SECONDS
    database_url = f"sqlite:///{work / 'addon.db'}"
    upgrade(database_url)
    servers: list[harness.Server] = []
    sender: Sender | None = None
    try:
        emulator = harness.emulator(work)
        servers.append(emulator)
        addon = start_addon(work, database_url, emulator.url.removeprefix("http://"))
        servers.append(addon)
        room_id = harness.create_room(emulator.url, "Load")
        oauth_id, secret = install(emulator.url, addon.url, room_id, database_url)
        items = webhooks(oauth_id, secret, room_id)
        workers = harness.worker_pids(addon.process.pid)
        assert len(workers) == WORKERS

        sender = Sender(f"{addon.url}/addon/webhook/deploy", deadline)
        first = sender.fire(items[:WARM_UP])
        before = rss(workers)
        rest = sender.fire(items[WARM_UP:])
        after = rss(workers)
        sender.close()
        still = harness.worker_pids(addon.process.pid)
        counting = time.monotonic()
        texts = reply_texts(emulator.url, room_id, deadline)
        counted = time.monotonic() - counting
    finally:
        if sender is not None:
            sender.close()
        for server in reversed(servers):
            server.stop()

    seconds = first + rest
    answered = WEBHOOKS - sender.errors
    expected = {f"Deploy of {TARGET} requested by {sender_name(n)}" for n in range(WEBHOOKS)}
    replies = sum(texts[t] for t in expected)
    duplicated = sum(1 for t in expected if texts[t] > 1)
    lost = sum(1 for t in expected if texts[t] == 0)
    print(
        f"\nload: {WEBHOOKS:,} webhooks at concurrency {CONCURRENCY}, gunicorn {WORKERS} "
        f"workers x {THREADS} threads, SQLite: {answered:,} answered 2xx in {seconds:.1f} s = "
        f"{answered / seconds:,.0f} webhooks/s (first {WARM_UP:,} in {first:.1f} s)\n"
        f"load: responses {dict(sender.statuses)}, errors {sender.errors}\n"
        f"load: API replies in the room {replies:,} (lost {lost}, duplicated {duplicated}, "
        f"other notifications {sum(texts.values()) - replies}; counted {counted:.1f} s after "
        f"the last answer)"
    )
    for pid in workers:
        growth = after[pid] - before[pid]
        print(
            f"load: worker {pid} RSS after {WARM_UP:,}: {before[pid] / 1024:.1f} MiB, after "
            f"{WEBHOOKS:,}: {after[pid] / 1024:.1f} MiB ({growth / 1024:+.1f} MiB, "
            f"{growth / before[pid]:+.1%})"
        )
    assert sender.errors == 0, (sender.failures, log_tail(work / "addon.log"))
    assert sum(sender.statuses.values()) == WEBHOOKS
    assert lost == 0
    assert duplicated == 0
    assert sum(texts.values()) == WEBHOOKS  # nothing else was posted to the room
    assert still == workers, "a worker was replaced during the run"
    for pid in workers:
        allowed = max(before[pid] * RSS_GROWTH, RSS_SLACK_KIB)
        assert after[pid] - before[pid] <= allowed, (pid, before[pid], after[pid])
