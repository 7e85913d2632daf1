"""HipChat's own capabilities document (HIPCHAT.md §1.8) and the descriptor schema (§6.9).

``links.self`` echoes the exact URL the document was fetched from (scheme, host, port, path as
sent), because add-on frameworks compare it with the ``capabilitiesUrl`` of the install.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from addon.emulator.state.models import SCOPES, WEBHOOK_EVENTS

bp = Blueprint("capabilities", __name__)


def requested_url() -> str:
    """The URL of this request as the client sent it (before slash clean-up)."""
    raw_path = request.environ.get("emulator.raw_path", request.path)
    url = request.host_url.rstrip("/") + raw_path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


def capabilities_document(self_url: str, base: str) -> dict[str, Any]:
    """The document for an emulator reachable at ``base`` (ending with '/')."""
    return {
        "name": "HipChat",
        "key": "hipchat",
        "description": "Group chat and IM built for teams (local emulator)",
        "vendor": {"name": "Atlassian", "url": "https://www.hipchat.com"},
        "links": {
            "self": self_url,
            "api": base + "v2",
            "homepage": base,
            "subdomain": base.rstrip("/"),
        },
        "capabilities": {
            "hipchatApiProvider": {
                "url": base + "v2/",
                "availableScopes": {
                    scope: {"id": scope, "name": name, "description": description}
                    for scope, (name, description) in sorted(SCOPES.items())
                },
            },
            "oauth2Provider": {
                "authorizationUrl": base + "users/authorize",
                "tokenUrl": base + "v2/oauth/token",
            },
        },
    }


@bp.get("/v2/capabilities")
def capabilities() -> ResponseReturnValue:
    """GET /v2/capabilities — no authentication."""
    return jsonify(capabilities_document(requested_url(), request.host_url))


@bp.get("/v2/capabilities/addon/schema")
def descriptor_schema() -> ResponseReturnValue:
    """GET /v2/capabilities/addon/schema?draft=v2|v4 — a JSON Schema of add-on descriptors."""
    draft = request.args.get("draft", "v4")
    dialect = {
        "v2": "http://json-schema.org/draft-02/schema#",
        "v4": "http://json-schema.org/draft-04/schema#",
    }.get(draft, "http://json-schema.org/draft-04/schema#")
    name = {"type": "object", "required": ["value"], "properties": {"value": {"type": "string"}}}
    keyed = {"type": "string", "minLength": 1, "maxLength": 40}
    return jsonify(
        {
            "$schema": dialect,
            "title": "HipChat add-on capabilities descriptor",
            "type": "object",
            "required": ["key", "name", "links", "capabilities"],
            "properties": {
                "key": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "vendor": {"type": "object", "properties": {"name": {}, "url": {}}},
                "links": {
                    "type": "object",
                    "required": ["self"],
                    "properties": {"self": {"type": "string"}, "homepage": {"type": "string"}},
                },
                "capabilities": {
                    "type": "object",
                    "properties": {
                        "installable": {"type": "object"},
                        "hipchatApiConsumer": {
                            "type": "object",
                            "properties": {
                                "scopes": {"type": "array", "items": {"enum": sorted(SCOPES)}},
                                "fromName": {"type": "string"},
                            },
                        },
                        "webhook": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["event", "url"],
                                "properties": {
                                    "event": {"enum": list(WEBHOOK_EVENTS)},
                                    "url": {"type": "string"},
                                    "pattern": {"type": "string"},
                                    "name": {"type": "string"},
                                    "key": keyed,
                                    "authentication": {"enum": ["jwt", "none"]},
                                },
                            },
                        },
                        "configurable": {"type": "object", "required": ["url"]},
                        "glance": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"key": keyed, "name": name}},
                        },
                        "webPanel": {"type": "array"},
                        "dialog": {"type": "array"},
                        "action": {"type": "array"},
                        "externalPage": {"type": "array"},
                    },
                },
            },
        }
    )
