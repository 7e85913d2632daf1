"""Emulator headroom: how many room notifications per second the emulator itself serves.

The other benchmarks post their replies to the emulator, so it must not be their bottleneck.
wrk (``-t2 -c16``) posts ``POST /v2/room/{id}/notification`` with a bearer token, limits raised,
alternately (A B A B) to the emulator's own threaded Werkzeug server (``python -m
addon.emulator``: one connection per request) and to the same app under ``gunicorn -w 1 -k
gthread --threads 16`` (keep-alive; what bench/replies.py and bench/scale.py use).

    .venv/bin/python bench/emulator.py [--rounds 2] [--seconds 4]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import harness


def main() -> int:
    """Measure both servers and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    harness.require_wrk()
    settings = {
        "load": f"wrk -t2 -c16, {args.rounds} rounds of {args.seconds:g} s per server, "
        "alternating, after a 1 s warm-up",
        "request": "POST /v2/room/{id}/notification, text message, bearer token "
        "(send_notification)",
        "limits": ", ".join(f"{k}={v}" for k, v in harness.EMULATOR_ENV.items()),
    }
    servers: dict[str, harness.Server] = {}
    with tempfile.TemporaryDirectory(prefix="addon-emulator-") as tmp:
        work = Path(tmp)
        try:
            servers["Werkzeug (python -m addon.emulator)"] = harness.emulator(
                work, keep_alive=False
            )
            servers["gunicorn gthread, keep-alive"] = harness.emulator(work, keep_alive=True)
            targets = {}
            for name, server in servers.items():
                room_id = harness.create_room(server.url, "Bench headroom")
                token = harness.admin_token(server.url, ["send_notification"])
                body = {"message": "headroom", "message_format": "text", "color": "gray"}
                path = work / f"notify-{len(targets)}.txt"
                path.write_text(token + "\t" + json.dumps(body) + "\n")
                targets[name] = (f"{server.url}/v2/room/{room_id}/notification", path)
            for url, path in targets.values():
                harness.run_wrk(url, path, seconds=1, scheme="Bearer")
            results = harness.alternate(
                list(targets),
                args.rounds,
                lambda name: harness.run_wrk(
                    targets[name][0], targets[name][1], seconds=args.seconds, scheme="Bearer"
                ),
            )
        finally:
            for server in servers.values():
                server.stop()
    lines = harness.header("Emulator headroom (bench/emulator.py)", settings)
    lines += [
        "| server | round | notifications/s | p50 ms | p99 ms | errors | non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        for number, run in enumerate(runs, 1):
            lines.append(
                f"| {name} | {number} | {run.rps:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} "
                f"| {run.errors} | {run.non_2xx} |"
            )
    lines.append("")
    for name, runs in results.items():
        lines.append(
            f"- {name}: median **{harness.median(r.rps for r in runs):,.0f}** notifications/s"
        )
    harness.emit("emulator", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
