"""Replies through the API: 1,000 ``/deploy staging`` webhooks whose handler calls event.reply().

The deploy bot runs under ``gunicorn -w 4 --worker-class sync`` and is installed into a room of
the emulator (a subprocess with raised rate and flood limits) through the emulator's admin API,
so its install callback mints the proof token. The bench then posts 1,000 distinct signed
webhooks (8 client threads); each makes one ``POST /v2/room/{id}/notification``. Printed: token
requests seen by the emulator (target: exactly 1 per installation and scope set), TCP connections
the add-on opened to it (target: <= one per worker), replies/s, and as a baseline the rate of the
same notifications posted straight to the emulator by a plain client. The add-on runs twice in
the same bench, alternating: with the durable outbox (the default: each reply is a row written
in the handler's transaction, then sent and marked) and with ``ADDON_OUTBOX=false`` (posted
directly), so the price of durability is measured, not guessed.

    .venv/bin/python bench/replies.py [--webhooks 1000] [--workers 4]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
import requests

CLIENT_THREADS = 8


def main() -> int:
    """Install, fire the webhooks, count tokens and connections, record the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    settings = {
        "add-on": f"wsgi:app under gunicorn -w {args.workers} --worker-class sync, SQLite",
        "emulator": "bench/emulator_server.py under gunicorn -w 1 -k gthread --threads 16 "
        "(keep-alive; the emulator's own Werkzeug server closes every connection), "
        "rate/flood limits raised",
        "load": f"{args.webhooks} distinct signed '/deploy staging' webhooks from "
        f"{CLIENT_THREADS} client threads; each handler posts one notification",
        "baseline": f"the same number of notifications posted straight to the emulator "
        f"({CLIENT_THREADS} threads, one keep-alive session each)",
    }
    rounds: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for outbox in (True, False, True, False):  # A B A B: the machine's noise hits both
        with tempfile.TemporaryDirectory(prefix="addon-replies-") as tmp:
            rounds[outbox].append(run(Path(tmp), args.webhooks, args.workers, outbox=outbox))
    lines = harness.header("Replies through the API (bench/replies.py)", settings)
    lines += report(rounds[True][-1], args.workers)
    lines += compare(rounds)
    harness.emit("replies", lines)
    return 0


def compare(rounds: dict[bool, list[dict[str, Any]]]) -> list[str]:
    """Replies/s with and without the outbox, round by round."""

    def rates(figures: list[dict[str, Any]]) -> list[float]:
        return [f["notifications"] / f["seconds"] for f in figures]

    durable, direct = rates(rounds[True]), rates(rounds[False])
    lost = [f["webhooks"] - f["notifications"] for f in rounds[True] + rounds[False]]
    return [
        "",
        "| replies/s (rounds alternated) | outbox on (default) | ADDON_OUTBOX=false |",
        "|---|---|---|",
        *(
            f"| round {n + 1} | {a:,.0f} | {b:,.0f} |"
            for n, (a, b) in enumerate(zip(durable, direct, strict=True))
        ),
        f"| median | **{harness.median(durable):,.0f}** | **{harness.median(direct):,.0f}** |",
        "",
        f"- durable replies cost {1 - harness.median(durable) / harness.median(direct):.0%} "
        f"of the direct rate; replies missing in any round: {sum(lost)}",
    ]


def run(work: Path, webhooks: int, workers: int, *, outbox: bool = True) -> dict[str, Any]:
    """The measurement itself, servers started and stopped here."""
    from addon.store import Installation, Store
    from addon.store.migrate import upgrade

    database_url = f"sqlite:///{work / 'addon.db'}"
    upgrade(database_url)
    servers: list[harness.Server] = []
    try:
        emu = harness.emulator(work)
        servers.append(emu)
        addon_port = harness.free_port()
        addon_url = f"http://127.0.0.1:{addon_port}"
        emu_host = emu.url.removeprefix("http://")
        addon = harness.gunicorn(
            "addon",
            "wsgi:app",
            workers=workers,
            port=addon_port,
            env=harness.addon_env(
                database_url,
                addon_url,
                ADDON_TRUSTED_HOSTS=emu_host,
                ADDON_OUTBOX="true" if outbox else "false",
            ),
            log_dir=work,
            ready_path="/addon/descriptor",
        )
        servers.append(addon)
        room_id = harness.create_room(emu.url, "Bench replies")
        requests.delete(f"{emu.url}/bench/connections", timeout=10)
        requests.delete(f"{emu.url}/emulator/api/requests", timeout=10)
        installed = requests.post(
            f"{emu.url}/emulator/api/installations",
            json={"descriptor_url": f"{addon_url}/addon/descriptor", "room": room_id},
            timeout=60,
        )
        if installed.status_code != 201:
            raise RuntimeError(f"install failed: {installed.status_code} {installed.text}")
        oauth_id = installed.json()["oauthId"]
        store = Store(database_url, harness.SECRET_KEY)
        try:
            with store.session() as session:
                row = session.get(Installation, oauth_id)
                if row is None:
                    raise RuntimeError("the add-on did not store the installation")
                secret = store.box.decrypt(row.oauth_secret_encrypted)
        finally:
            store.dispose()

        pool = []
        for number in range(webhooks):
            body = harness.webhook_body(
                oauth_id, harness.DEPLOY_TEXT, room_id=room_id, message_id=f"r{number}"
            )
            pool.append((harness.sign(oauth_id, secret), body))
        statuses, seconds = fire(f"{addon_url}/addon/webhook/deploy", pool)

        journal = requests.get(f"{emu.url}/emulator/api/requests", timeout=30).json()["items"]
        connections = requests.get(f"{emu.url}/bench/connections", timeout=10).json()
        notifications = [
            e
            for e in journal
            if e["method"] == "POST" and e["path"] == f"/v2/room/{room_id}/notification"
        ]
        token_requests = [e for e in journal if e["path"].startswith("/v2/oauth/token")]
        baseline = direct_notifications(emu.url, room_id, webhooks)
        return {
            "statuses": statuses,
            "seconds": seconds,
            "webhooks": webhooks,
            "notifications": len(notifications),
            "token_requests": len(token_requests),
            "scope_sets": len(
                {str(sorted((e.get("form") or {}).get("scope", []))) for e in token_requests}
            ),
            "connections": connections["connections"],
            "spans": connections["spans"],
            "baseline_rps": baseline,
        }
    finally:
        for server in reversed(servers):
            server.stop()


def fire(url: str, pool: list[tuple[str, dict[str, Any]]]) -> tuple[dict[int, int], float]:
    """POST every webhook of ``pool`` from CLIENT_THREADS threads; (status counts, seconds)."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def send(item: tuple[str, dict[str, Any]]) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        token, body = item
        try:
            status = session.post(
                url, json=body, headers={"Authorization": f"JWT {token}"}, timeout=30
            ).status_code
        except requests.RequestException:
            status = 0
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as executor:
        list(executor.map(send, pool))
    return statuses, time.perf_counter() - start


def direct_notifications(emulator_url: str, room_id: int, count: int) -> float:
    """Notifications/s when a plain keep-alive client posts them straight to the emulator."""
    token = harness.admin_token(emulator_url, ["send_notification"])
    local = threading.local()

    def send(number: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
        session.post(
            f"{emulator_url}/v2/room/{room_id}/notification",
            json={"message": f"direct {number}", "message_format": "text"},
            timeout=30,
        ).raise_for_status()

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as executor:
        list(executor.map(send, range(count)))
    return count / (time.perf_counter() - start)


def report(figures: dict[str, Any], workers: int) -> list[str]:
    """Markdown lines with each figure against its target."""
    replies_per_s = figures["notifications"] / figures["seconds"]
    connections = figures["connections"]
    ok_200 = figures["statuses"].get(200, 0)
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    return [
        "| figure | value | target |",
        "|---|---|---|",
        f"| webhooks answered 200 | {ok_200} / {figures['webhooks']} "
        f"(statuses {dict(sorted(figures['statuses'].items()))}) | all |",
        f"| notifications received by the emulator | {figures['notifications']} | "
        f"{figures['webhooks']} |",
        f"| token requests at the emulator (install proof included) | "
        f"{figures['token_requests']} for 1 installation, {figures['scope_sets']} scope set(s) "
        f"| exactly 1 per installation and scope set: "
        f"{met(figures['token_requests'] == 1)} |",
        f"| TCP connections the add-on opened to the emulator | {len(connections)} "
        f"({_spread(list(connections.values()))}) "
        f"| <= {workers} (one per worker): {met(len(connections) <= workers)} |",
        f"| replies/s through the add-on | **{replies_per_s:,.0f}** "
        f"({figures['webhooks']} in {figures['seconds']:.2f} s) | |",
        f"| baseline: notifications/s posted straight to the emulator | "
        f"{figures['baseline_rps']:,.0f} | |",
        "",
        f"- ratio replies through the add-on / direct posts: "
        f"{replies_per_s / figures['baseline_rps']:.2f}x (each reply is a webhook in, a "
        "notification out, on the same 2 cores)",
    ]


def _spread(counts: list[int]) -> str:
    """How many requests the connections carried: all of them, or min / median / max."""
    if not counts:
        return "no requests"
    if len(counts) <= 8:
        return ", ".join(f"{n} requests" for n in sorted(counts, reverse=True))
    return (
        f"{min(counts)} / {harness.median(counts):.0f} / {max(counts)} requests per connection "
        "(min / median / max)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
