"""The baseline of bench/webhook.py: bare Flask that parses the same JSON body and returns the
same JSON reply as the deploy bot's ``/status`` handler, with no framework in between.

Served by the same gunicorn settings as the add-on: ``gunicorn bare_app:app``.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

app = Flask(__name__)

REPLY = {
    "message": "Deploy Bot is up. Targets: staging, production, qa.",
    "color": "yellow",
    "message_format": "text",
    "notify": False,
}


@app.post("/addon/webhook/<key>")
def webhook(key: str) -> Response:
    """Parse the webhook JSON, read the message text, answer with the reply JSON."""
    payload = json.loads(request.get_data())
    text = payload["item"]["message"]["message"]
    if not text.startswith("/status"):
        return Response(status=204)
    return Response(json.dumps(REPLY), status=200, mimetype="application/json")


@app.get("/")
def ready() -> str:
    """Readiness probe for the harness."""
    return "ok"
