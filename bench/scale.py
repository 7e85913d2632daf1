"""Scale: 1 versus 10,000 installations in the database, on SQLite and on PostgreSQL.

For each backend two add-ons run side by side (``gunicorn -w 2 --worker-class sync``), one on a
database with 1 installation, one with 10,000, and are measured alternately (A B A B):

* webhook throughput: wrk ``-t2 -c16``, distinct signed ``/status`` webhooks; at 10,000 they come
  round robin from every installation (more than the in-process cache holds, so lookups reach
  the database); target: within 10 %.
* install-callback latency: ``POST /addon/installable`` with credentials of OAuth clients made in
  the emulator (the add-on fetches the capabilities and mints its proof token there); p50 and
  p99; target: p50 within 20 %.

Then the resident memory (VmRSS) of each worker of a fresh SQLite add-on with 10,000
installations, after 100 webhooks and after 10,000 more (round robin over all installations);
target: no growth beyond 5 %. PostgreSQL databases get random names and are dropped at the end.

    .venv/bin/python bench/scale.py [--installations 10000] [--rounds 2] [--seconds 4]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
import requests

POOL_RATE = 3000  # distinct requests prepared per second of a wrk run
INSTALLS_PER_ROUND = 10
CLIENT_THREADS = 8


def main() -> int:
    """Run both backends, then the memory check; record everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--install-rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    harness.require_wrk()
    many = args.installations
    settings = {
        "add-ons": "wsgi:app, gunicorn -w 2 --worker-class sync, one per (backend, size)",
        "webhooks": f"wrk -t2 -c16, {args.rounds} rounds of {args.seconds:g} s per add-on, "
        "alternating, distinct signed '/status' webhooks",
        "installs": f"{args.install_rounds} rounds of {INSTALLS_PER_ROUND} sequential install "
        "callbacks per add-on, alternating, against the emulator (gthread, keep-alive)",
        "memory": f"VmRSS of both workers after 100 and after {many + 100} webhooks "
        f"({CLIENT_THREADS} client threads), SQLite, {many} installations",
    }
    lines = harness.header("Scale: 1 vs 10,000 installations (bench/scale.py)", settings)
    with tempfile.TemporaryDirectory(prefix="addon-scale-") as tmp:
        work = Path(tmp)
        emu = harness.emulator(work)
        try:
            room_id = harness.create_room(emu.url, "Bench scale")
            for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
                lines += measure_backend(backend, work, emu, room_id, many, args)
            lines += measure_memory(work, many)
        finally:
            emu.stop()
    harness.emit("scale", lines)
    return 0


def database(backend: str, work: Path, name: str) -> tuple[str, Callable[[], None]]:
    """A fresh database URL of ``backend`` and the function that removes it."""
    if backend == "sqlite":
        return f"sqlite:///{work / (name + '.db')}", lambda: None
    if backend == "postgresql":
        return harness.temporary_postgres()
    raise SystemExit(f"unknown backend {backend!r}: sqlite or postgresql")


def measure_backend(
    backend: str, work: Path, emu: harness.Server, room_id: int, many: int, args: Any
) -> list[str]:
    """Throughput and install latency at 1 and at ``many`` installations on ``backend``."""
    sizes = {"1": 1, f"{many:,}": many}
    drops: list[Callable[[], None]] = []
    servers: dict[str, harness.Server] = {}
    try:
        pools: dict[str, list[tuple[str, str]]] = {}
        for label, count in sizes.items():
            url, drop = database(backend, work, f"{backend}-{count}")
            drops.append(drop)
            started = time.perf_counter()
            pools[label] = harness.seed_installations(url, count)
            print(
                f"{backend}: seeded {count} installations in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            port = harness.free_port()
            servers[label] = harness.gunicorn(
                f"addon-{backend}-{count}",
                "wsgi:app",
                workers=2,
                port=port,
                env=harness.addon_env(
                    url,
                    f"http://127.0.0.1:{port}",
                    ADDON_TRUSTED_HOSTS=emu.url.removeprefix("http://"),
                ),
                log_dir=work,
                ready_path="/addon/descriptor",
            )
        one, big = list(sizes)
        # Traffic: (server, senders). "hot" keeps the sender set inside the in-process cache, so
        # only the database's size differs; "all" spreads the senders over every installation,
        # more than the cache holds, so every lookup reaches the database.
        traffic = {
            "1 installation": (one, pools[one]),
            f"{big} installations, 1 sender": (big, pools[big][:1]),
            f"{big} installations, all senders": (big, pools[big]),
        }
        counter = iter(range(1_000_000))

        def throughput(label: str) -> harness.WrkResult:
            server, senders = traffic[label]
            pool = harness.request_pool(
                work / f"scale-{next(counter)}.txt",
                senders,
                int(args.seconds * POOL_RATE) + 2000,
                harness.STATUS_TEXT,
            )
            return harness.run_wrk(
                servers[server].url + "/addon/webhook/status", pool, seconds=args.seconds
            )

        for server, senders in traffic.values():  # warm-up
            harness.run_wrk(
                servers[server].url + "/addon/webhook/status",
                harness.request_pool(work / "warm.txt", senders, 4000, harness.STATUS_TEXT),
                seconds=1,
            )
        rates = harness.alternate(list(traffic), args.rounds, throughput)
        latencies: dict[str, list[float]] = {label: [] for label in sizes}
        failures: dict[str, int] = {label: 0 for label in sizes}
        for _ in range(args.install_rounds):
            for label in sizes:
                took, failed = install_batch(emu.url, servers[label].url, room_id)
                latencies[label] += took
                failures[label] += failed
    finally:
        for server in servers.values():
            server.stop()
        for drop in drops:
            drop()
    return report_backend(backend, rates, latencies, failures)


def install_batch(emulator_url: str, addon_url: str, room_id: int) -> tuple[list[float], int]:
    """INSTALLS_PER_ROUND install callbacks, one after the other; (milliseconds, failures)."""
    # The OAuth clients get exactly the scopes the add-on's descriptor asks for, as HipChat's do.
    descriptor = requests.get(f"{addon_url}/addon/descriptor", timeout=10).json()
    scopes = descriptor["capabilities"]["hipchatApiConsumer"]["scopes"]
    clients = []
    for _ in range(INSTALLS_PER_ROUND):
        made = requests.post(
            f"{emulator_url}/emulator/api/clients",
            json={"scopes": scopes, "room_id": room_id, "name": "Bench"},
            timeout=10,
        )
        made.raise_for_status()
        clients.append(made.json())
    took, failed = [], 0
    with requests.Session() as session:
        for client in clients:
            body = {key: client[key] for key in ("oauthId", "oauthSecret", "capabilitiesUrl")}
            body.update(groupId=client["groupId"], roomId=client["roomId"])
            start = time.perf_counter()
            answer = session.post(f"{addon_url}/addon/installable", json=body, timeout=30)
            took.append((time.perf_counter() - start) * 1000)
            if answer.status_code != 201:  # a failed install is fast: its latency means nothing
                raise RuntimeError(f"install failed: {answer.status_code} {answer.text}")
    return took, failed


def report_backend(
    backend: str,
    rates: dict[str, list[harness.WrkResult]],
    latencies: dict[str, list[float]],
    failures: dict[str, int],
) -> list[str]:
    """Markdown for one backend."""
    lines = [
        f"### {backend}",
        "",
        "| webhooks to | req/s (median; rounds) | p99 ms | errors |",
        "|---|---|---|---|",
    ]
    rps = {}
    for label, runs in rates.items():
        rps[label] = harness.median(r.rps for r in runs)
        lines.append(
            f"| {label} | **{rps[label]:,.0f}** "
            f"({', '.join(f'{r.rps:,.0f}' for r in runs)}) "
            f"| {harness.median(r.p99_ms for r in runs):.1f} "
            f"| {sum(r.errors + r.non_2xx for r in runs)} |"
        )
    lines += [
        "",
        "| installations | install p50 ms | install p99 ms | installs | failures |",
        "|---|---|---|---|---|",
    ]
    p50 = {}
    for label, took in latencies.items():
        p50[label] = harness.percentile(took, 50)
        lines.append(
            f"| {label} | **{p50[label]:.1f}** | {harness.percentile(took, 99):.1f} "
            f"| {len(took)} | {failures[label]} |"
        )
    one, hot, spread = list(rates)
    base = rps[one]
    lines.append("")
    for label in (hot, spread):
        change = rps[label] / base - 1
        ok = change >= -0.10
        lines.append(
            f"- throughput, {label} vs 1: {change:+.1%} "
            f"(target within 10 %: {'met' if ok else 'NOT met'})"
        )
    first, second = list(latencies)
    change = p50[second] / p50[first] - 1
    ok = change <= 0.20
    lines += [
        f"- install p50 at {second} vs 1: {change:+.1%} "
        f"(target within 20 %: {'met' if ok else 'NOT met'})",
        "",
    ]
    return lines


def measure_memory(work: Path, many: int) -> list[str]:
    """Worker RSS after 100 webhooks and after ``many`` more, on a fresh SQLite add-on."""
    url = f"sqlite:///{work / 'memory.db'}"
    pairs = harness.seed_installations(url, many)
    port = harness.free_port()
    server = harness.gunicorn(
        "addon-memory",
        "wsgi:app",
        workers=2,
        port=port,
        env=harness.addon_env(url, f"http://127.0.0.1:{port}"),
        log_dir=work,
        ready_path="/addon/descriptor",
    )
    try:
        target = server.url + "/addon/webhook/status"
        workers = harness.worker_pids(server.process.pid)
        statuses_a = fire(target, pairs, 0, 100)
        after_100 = {pid: harness.rss_kib(pid) for pid in workers}
        half = many // 2
        statuses_b = fire(target, pairs, 100, half)
        after_half = {pid: harness.rss_kib(pid) for pid in workers}
        statuses_c = fire(target, pairs, 100 + half, many - half)
        after_many = {pid: harness.rss_kib(pid) for pid in workers}
    finally:
        server.stop()
    lines = [
        "### Worker memory (SQLite)",
        "",
        f"| worker | RSS after 100 webhooks | after {half + 100:,} | after {many + 100:,} "
        f"| growth 100 -> {many + 100:,} | growth {half + 100:,} -> {many + 100:,} |",
        "|---|---|---|---|---|---|",
    ]
    worst = late = 0.0
    for number, pid in enumerate(workers, 1):
        growth = after_many[pid] / after_100[pid] - 1
        second_half = after_many[pid] / after_half[pid] - 1
        worst, late = max(worst, growth), max(late, second_half)
        lines.append(
            f"| {number} | {after_100[pid] / 1024:.1f} MiB | {after_half[pid] / 1024:.1f} MiB "
            f"| {after_many[pid] / 1024:.1f} MiB | {growth:+.1%} | {second_half:+.1%} |"
        )
    statuses: dict[int, int] = {}
    for part in (statuses_a, statuses_b, statuses_c):
        for code, count in part.items():
            statuses[code] = statuses.get(code, 0) + count
    lines += [
        "",
        f"- responses: {dict(sorted(statuses.items()))}",
        f"- largest growth after 100 -> after {many + 100:,}: {worst:+.1%} "
        f"(target <= 5 %: {'met' if worst <= 0.05 else 'NOT met'}); in the second half alone: "
        f"{late:+.1%} (a leak would grow there as much as in the first half)",
        "",
    ]
    return lines


def fire(url: str, pairs: list[tuple[str, str]], first: int, count: int) -> dict[int, int]:
    """``count`` distinct webhooks, round robin over ``pairs`` from index ``first``."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def send(number: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        oauth_id, secret = pairs[number % len(pairs)]
        body = harness.webhook_body(oauth_id, harness.STATUS_TEXT, message_id=f"mem{number}")
        try:
            status = session.post(
                url,
                json=body,
                headers={"Authorization": f"JWT {harness.sign(oauth_id, secret)}"},
                timeout=30,
            ).status_code
        except requests.RequestException:
            status = 0
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    with ThreadPoolExecutor(CLIENT_THREADS) as executor:
        list(executor.map(send, range(first, first + count)))
    return statuses


if __name__ == "__main__":
    raise SystemExit(main())
