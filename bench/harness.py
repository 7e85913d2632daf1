"""Shared plumbing of the benchmarks: servers as subprocesses, wrk runs, seeded databases, results.

Every server runs as its own process on 127.0.0.1 and is stopped in a ``finally`` block; every
wait is bounded in time. Results go to ``bench/RESULTS.md``, one marked section per script.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "RESULTS.md"
LUA = BENCH / "webhook.lua"
#: Not the repository's gunicorn.conf.py, which gunicorn would read from the working directory.
GUNICORN_CONF = BENCH / "gunicorn.conf.py"
SECRET_KEY = "bench-only-secret-key-not-for-production"
if str(ROOT) not in sys.path:  # wsgi.py, the example add-on, lives at the repository root
    sys.path.insert(0, str(ROOT))
POSTGRES_SERVER = os.environ.get(
    "ADDON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ADDON_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
STATUS_TEXT = "/status"
DEPLOY_TEXT = "/deploy staging"
SENDER = {"id": 1, "name": "Ada Lovelace", "mention_name": "ada"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision() -> str:
    """The checked-out commit, with ``+dirty`` when the work tree has changes."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def header(title: str, settings: dict[str, Any]) -> list[str]:
    """The lines every script prints first: what ran, where, when, with which settings."""
    lines = [
        f"## {title}",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()},"
        f" commit {git_revision()}",
        "- shared machine: other jobs ran at the same time, so absolute figures are noisy;"
        " every comparison was measured in the same run, alternating A B A B",
    ]
    lines += [f"- {key}: {value}" for key, value in settings.items()]
    return [*lines, ""]


def emit(section: str, lines: Sequence[str]) -> None:
    """Print ``lines`` and replace this script's section of RESULTS.md with them."""
    text = "\n".join(lines).rstrip() + "\n"
    print(text, flush=True)
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{text}{end}\n"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _m: block, current)
    else:
        current = current.rstrip() + "\n\n" + block
    RESULTS.write_text(current)


def require_wrk() -> str:
    """The path of wrk; exits with a hint when it is not installed."""
    path = shutil.which("wrk")
    if path is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (or run `make bench`)")
    return path


# --- processes -------------------------------------------------------------------------------


@dataclass
class Server:
    """A server subprocess on 127.0.0.1 that answers at ``url``."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a few seconds; never raises."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log (for error messages)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_server(
    name: str,
    command: Sequence[str],
    port: int,
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
    log_dir: Path,
    timeout: float = 30.0,
) -> Server:
    """Start ``command`` and wait (bounded) until ``ready_path`` answers on ``port``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(BENCH)])
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{server.log_tail()}")
        try:
            requests.get(server.url + ready_path, timeout=1)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {timeout} s:\n{server.log_tail()}")


def gunicorn(
    name: str,
    app: str,
    *,
    workers: int,
    env: dict[str, str],
    log_dir: Path,
    ready_path: str,
    port: int | None = None,
) -> Server:
    """``gunicorn -w N --worker-class sync`` serving ``app`` on ``port`` (default: a free one)."""
    port = port or free_port()
    command = [
        str(BIN / "gunicorn"),
        "-c",
        str(GUNICORN_CONF),
        "-w",
        str(workers),
        "--worker-class",
        "sync",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    return start_server(
        name, command, port, env=env, ready_path=ready_path, log_dir=log_dir, timeout=60
    )


def worker_pids(master: int) -> list[int]:
    """The pids of a gunicorn master's workers (its children)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == master:
            children.append(int(entry.name))
    return sorted(children)


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` in KiB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


# --- wrk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles and errors."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    non_2xx: int


def run_wrk(
    url: str,
    request_file: Path,
    *,
    seconds: float,
    threads: int = 2,
    connections: int = 16,
    scheme: str = "JWT",
) -> WrkResult:
    """Run wrk with bench/webhook.lua, replaying the requests in ``request_file``."""
    command = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(request_file),
        str(threads),
        scheme,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[6:])
            duration = data["duration_us"] / 1e6
            errors = sum(data[k] for k in ("connect", "read", "write", "timeout"))
            return WrkResult(
                rps=data["requests"] / duration if duration else 0.0,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                requests=data["requests"],
                errors=errors,
                non_2xx=data["status"],
            )
    raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")


def write_requests(path: Path, entries: Iterable[tuple[str, dict[str, Any]]]) -> Path:
    """The request file webhook.lua reads: one ``<jwt>\\t<compact JSON body>`` per line."""
    with path.open("w") as out:
        for token, body in entries:
            out.write(token + "\t" + json.dumps(body, separators=(",", ":")) + "\n")
    return path


def request_pool(
    path: Path, installations: Sequence[tuple[str, str]], count: int, text: str
) -> Path:
    """``count`` distinct signed webhooks (fresh jti, fresh message id), round robin over
    ``installations``: the add-on refuses a replayed JWT and skips a duplicate delivery."""
    tag = uuid.uuid4().hex[:8]

    def entries() -> Iterable[tuple[str, dict[str, Any]]]:
        for number in range(count):
            oauth_id, secret = installations[number % len(installations)]
            body = webhook_body(oauth_id, text, message_id=f"{tag}-{number}")
            yield sign(oauth_id, secret), body

    return write_requests(path, entries())


def alternate(
    names: Sequence[str], rounds: int, run: Callable[[str], WrkResult]
) -> dict[str, list[WrkResult]]:
    """Run ``run(name)`` for each name in turn, ``rounds`` times (A B A B ...)."""
    results: dict[str, list[WrkResult]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            results[name].append(run(name))
    return results


def median(values: Iterable[float]) -> float:
    """The median of ``values``."""
    return float(statistics.median(list(values)))


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- the add-on's side -----------------------------------------------------------------------


def webhook_body(oauth_id: str, text: str, *, room_id: int = 1, message_id: str = "m1") -> dict:
    """A room_message webhook body as HipChat sends it (HIPCHAT.md §5)."""
    return {
        "event": "room_message",
        "oauth_client_id": oauth_id,
        "webhook_id": 1,
        "item": {
            "message": {
                "date": "2026-01-01T00:00:00.000000+00:00",
                "from": SENDER,
                "id": message_id,
                "mentions": [],
                "message": text,
                "type": "message",
            },
            "room": {"id": room_id, "name": "Bench", "privacy": "public", "is_archived": False},
        },
    }


def addon_env(database_url: str, base_url: str, **extra: str) -> dict[str, str]:
    """ADDON_* environment for the example add-on."""
    env = {
        "ADDON_DATABASE_URL": database_url,
        "ADDON_SECRET_KEY": SECRET_KEY,
        "ADDON_BASE_URL": base_url,
        # The emulator's limits are lifted for load runs; the outbox's limiter follows suit.
        "ADDON_FLOOD_LIMIT": "100000000",
        "ADDON_RATE_LIMIT": "100000000",
    }
    env.update(extra)
    return env


def seed_installations(
    database_url: str,
    count: int,
    *,
    api_url: str = "http://127.0.0.1:9/v2/",
    batch: int = 1000,
) -> list[tuple[str, str]]:
    """Migrate the database and insert ``count`` installations; returns (oauth_id, secret)."""
    from sqlalchemy import insert

    from addon.store import Installation, Store
    from addon.store.migrate import upgrade

    upgrade(database_url)
    store = Store(database_url, SECRET_KEY)
    pairs = [(str(uuid.uuid4()), uuid.uuid4().hex + uuid.uuid4().hex) for _ in range(count)]
    now = datetime.now(UTC)
    try:
        for start in range(0, count, batch):
            rows = [
                {
                    "oauth_id": oauth_id,
                    "oauth_secret_encrypted": store.box.encrypt(secret),
                    "group_id": 1 + index % 97,
                    "group_name": "Bench group",
                    "room_id": 1,
                    "capabilities_url": api_url + "capabilities",
                    "token_url": api_url + "oauth/token",
                    "api_url": api_url,
                    "scopes": "send_notification view_room",
                    "created_at": now,
                    "updated_at": now,
                }
                for index, (oauth_id, secret) in enumerate(pairs[start : start + batch], start)
            ]
            with store.session() as session:
                session.execute(insert(Installation), rows)
    finally:
        store.dispose()
    return pairs


def sign(oauth_id: str, secret: str, ttl: int = 24 * 3600) -> str:
    """A HipChat-style webhook JWT for the installation (long-lived: it must outlast the run)."""
    from addon.auth import sign_jwt

    return sign_jwt(oauth_id, secret, sub=SENDER["id"], context={"room_id": 1}, ttl=ttl)


def temporary_postgres() -> tuple[str, Callable[[], None]]:
    """Create a randomly named PostgreSQL database; returns its URL and a drop function."""
    import psycopg
    from sqlalchemy import make_url

    server = make_url(POSTGRES_SERVER)
    name = f"addon_bench_{uuid.uuid4().hex[:12]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server.set(database=name).render_as_string(hide_password=False), drop


def clear_redis(prefix: str, url: str = REDIS_URL) -> None:
    """Delete the benchmark's keys (those under ``prefix``) from Redis; bounded, never raises."""
    import redis

    try:
        client = redis.Redis.from_url(url)
        keys = list(itertools.islice(client.scan_iter(match=prefix + "*", count=1000), 2_000_000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()
    except redis.RedisError as exc:
        print(f"could not clean Redis keys {prefix}*: {exc}", file=sys.stderr)


#: The emulator's limits raised so that the benchmarks measure speed, not 429s.
EMULATOR_ENV = {
    "EMULATOR_RATE_LIMIT": "100000000",
    "EMULATOR_FLOOD_LIMIT": "100000000",
    "EMULATOR_JOURNAL_LIMIT": "50000",
}


def emulator(log_dir: Path, *, keep_alive: bool = True, threads: int = 16) -> Server:
    """bench/emulator_server.py (the emulator, counting connections) with raised limits.

    ``keep_alive``: served by ``gunicorn -w 1 -k gthread`` (one process: the state is in
    memory), which keeps HTTP connections open; else by the emulator's own Werkzeug server,
    which closes each connection after one response.
    """
    port = free_port()
    if keep_alive:
        command = [
            str(BIN / "gunicorn"),
            "-c",
            str(GUNICORN_CONF),
            "-w",
            "1",
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "60",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "emulator_server:build()",
        ]
    else:
        command = [sys.executable, str(BENCH / "emulator_server.py"), str(port)]
    return start_server(
        "emulator-gthread" if keep_alive else "emulator-werkzeug",
        command,
        port,
        env=EMULATOR_ENV,
        ready_path="/v2/capabilities",
        log_dir=log_dir,
    )


def admin_token(emulator_url: str, scopes: Sequence[str]) -> str:
    """A token minted by the emulator's admin API."""
    answer = requests.post(
        f"{emulator_url}/emulator/api/tokens", json={"scopes": list(scopes)}, timeout=10
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def create_room(emulator_url: str, name: str) -> int:
    """A new room in the emulator; its id."""
    token = admin_token(emulator_url, ["manage_rooms"])
    answer = requests.post(
        f"{emulator_url}/v2/room",
        json={"name": name},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return int(answer.json()["id"])
