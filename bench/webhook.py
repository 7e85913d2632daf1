"""Webhook throughput: the example add-on against bare Flask, same gunicorn, same wrk load.

Both apps run side by side (``gunicorn -w 2 --worker-class sync``); wrk (``-t2 -c16``) drives
them alternately, A B A B, with the same signed ``room_message`` webhook that matches the deploy
bot's ``/status`` handler (a reply in the response body, no API call). Prints req/s and p50/p99
for both and the ratios; targets: >= 0.85x throughput, p99 <= 1.3x.

    .venv/bin/python bench/webhook.py [--rounds 4] [--seconds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

import harness
import requests

TARGET_RPS = 0.85
TARGET_P99 = 1.3
#: distinct requests prepared per second of a run (more than either app can serve)
POOL_RATE = 7000


def main() -> int:
    """Run the comparison and record it in RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    harness.require_wrk()
    settings = {
        "servers": f"gunicorn -w {args.workers} --worker-class sync (both apps)",
        "load": f"wrk -t{args.threads} -c{args.connections}, {args.rounds} rounds of "
        f"{args.seconds:g} s per app, alternating, after a 2 s warm-up each",
        "request": "POST /addon/webhook/status, signed room_message '/status' (JWT header)",
        "add-on": "wsgi:app, SQLite, one installation, replay and duplicate checks on; "
        "'add-on, Redis' keeps the seen JWT ids and deliveries in Redis (ADDON_REDIS_URL)",
        "requests": f"distinct pre-signed JWTs and message ids, {POOL_RATE}/s of run time per run",
        "baseline": "bench/bare_app.py (parses the body, returns the same JSON)",
    }

    with tempfile.TemporaryDirectory(prefix="addon-bench-") as tmp:
        work = Path(tmp)
        database_url = f"sqlite:///{work / 'addon.db'}"
        installations = harness.seed_installations(database_url, 1)
        redis_prefix = f"addon-bench-{uuid.uuid4().hex[:8]}:"
        counter = iter(range(1_000_000))

        def fresh_pool(seconds: float) -> Path:
            """Distinct signed requests for one run (a replayed JWT would be refused)."""
            size = int(seconds * POOL_RATE) + 2000
            return harness.request_pool(
                work / f"requests-{next(counter)}.txt", installations, size, harness.STATUS_TEXT
            )

        servers: dict[str, harness.Server] = {}
        try:
            servers["add-on"] = harness.gunicorn(
                "addon",
                "wsgi:app",
                workers=args.workers,
                env=harness.addon_env(database_url, "http://127.0.0.1:5000"),
                log_dir=work,
                ready_path="/addon/descriptor",
            )
            servers["add-on, Redis"] = harness.gunicorn(
                "addon-redis",
                "wsgi:app",
                workers=args.workers,
                env=harness.addon_env(
                    database_url,
                    "http://127.0.0.1:5000",
                    ADDON_REDIS_URL=harness.REDIS_URL,
                    ADDON_REDIS_PREFIX=redis_prefix,
                ),
                log_dir=work,
                ready_path="/addon/descriptor",
            )
            servers["bare Flask"] = harness.gunicorn(
                "bare",
                "bare_app:app",
                workers=args.workers,
                env={},
                log_dir=work,
                ready_path="/",
            )
            check_same_reply(servers, fresh_pool(0))
            urls = {name: server.url + "/addon/webhook/status" for name, server in servers.items()}
            for url in urls.values():  # warm-up, not recorded
                harness.run_wrk(url, fresh_pool(2), seconds=2)
            results = harness.alternate(
                list(urls),
                args.rounds,
                lambda name: harness.run_wrk(
                    urls[name],
                    fresh_pool(args.seconds),
                    seconds=args.seconds,
                    threads=args.threads,
                    connections=args.connections,
                ),
            )
        finally:
            for server in servers.values():
                server.stop()
            harness.clear_redis(redis_prefix)

    lines = harness.header("Webhook throughput (bench/webhook.py)", settings)
    lines += report(results)
    harness.emit("webhook", lines)
    return 0


def check_same_reply(servers: dict[str, harness.Server], request_file: Path) -> None:
    """Both apps must answer the benchmark request with 200 and the same JSON."""
    lines = request_file.read_text().splitlines()
    answers = {}
    for (name, server), line in zip(servers.items(), lines, strict=False):
        token, body = line.split("\t", 1)
        response = requests.post(
            server.url + "/addon/webhook/status",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"JWT {token}"},
            timeout=10,
        )
        if response.status_code != 200:
            raise RuntimeError(f"{name} answered {response.status_code}: {response.text[:300]}")
        answers[name] = response.json()
    if len({repr(sorted(a.items())) for a in answers.values()}) != 1:
        raise RuntimeError(f"the apps answer differently: {answers}")


def report(results: dict[str, list[harness.WrkResult]]) -> list[str]:
    """Markdown table of every round, the medians and the ratios against the targets."""
    lines = [
        "| app | round | req/s | p50 ms | p99 ms | errors | non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        for number, run in enumerate(runs, 1):
            lines.append(
                f"| {name} | {number} | {run.rps:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} "
                f"| {run.errors} | {run.non_2xx} |"
            )
    med = {
        name: (
            harness.median(r.rps for r in runs),
            harness.median(r.p50_ms for r in runs),
            harness.median(r.p99_ms for r in runs),
        )
        for name, runs in results.items()
    }
    for name, (rps, p50, p99) in med.items():
        lines.append(f"| **{name}** | median | **{rps:,.0f}** | {p50:.2f} | {p99:.2f} | | |")
    bare = med["bare Flask"]
    lines.append("")
    for name in (n for n in med if n != "bare Flask"):
        addon = med[name]
        rps_ratio = addon[0] / bare[0]
        p99_ratio = addon[2] / bare[2]
        lines.append(
            f"- {name} / bare: throughput **{rps_ratio:.2f}x** (target >= {TARGET_RPS}x: "
            f"{_met(rps_ratio >= TARGET_RPS)}), p50 {addon[1] / bare[1]:.2f}x, "
            f"p99 **{p99_ratio:.2f}x** (target <= {TARGET_P99}x: {_met(p99_ratio <= TARGET_P99)})"
        )
    failed = sum(r.errors + r.non_2xx for runs in results.values() for r in runs)
    lines.append(f"- failed requests (socket errors or non-2xx): {failed}")
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    raise SystemExit(main())
