"""The add-on's HTTP endpoints: thin handlers over installs, auth, events and dispatch.

Read top-down, the webhook view is the whole request path: find the handler for the URL key,
read the JSON, verify the JWT against the installation it names, parse the event, run the
handler, answer with its reply (HIPCHAT.md §5.4) or 204.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, redirect, request

from addon import auth, dispatch
from addon.errors import RequestError, error_response
from addon.events import Event, EventError, parse_event
from addon.extension import runtime
from addon.installs import (
    InstallError,
    check_scope_of_install,
    install,
    oauth_id_from_installable,
    parse_install,
    uninstall,
)
from addon.pages import Page
from addon.webhooks import wanted

log = logging.getLogger("addon.views")

blueprint = Blueprint("addon", __name__, url_prefix="/addon")


@blueprint.errorhandler(413)
def too_large(_exc: Exception) -> Response:
    """Bodies over ADDON_MAX_BODY (Flask's MAX_CONTENT_LENGTH)."""
    return error_response(413, "request body too large")


@blueprint.get("/descriptor")
def descriptor() -> Response:
    """The capabilities descriptor HipChat reads before installing (§1)."""
    return Response(runtime().descriptor_json(), mimetype="application/json")


@blueprint.post("/installable")
def installed() -> Response:
    """HipChat's server-side install callback (§2.1)."""
    rt = runtime()
    try:
        payload = _json_body()
        req = parse_install(payload)
        check_scope_of_install(
            req, allow_room=rt.addon.info.allow_room, allow_global=rt.addon.info.allow_global
        )
        install(
            req,
            scopes=rt.addon.info.scopes,
            settings=rt.settings,
            store=rt.store,
            tokens=rt.tokens,
            http=rt.http,
            room_hooks=wanted(rt.addon.registry, rt.settings),
        )
    except RequestError as exc:
        log.warning("install refused: %s", exc.message)
        return error_response(exc.status, exc.message)
    return Response(status=201)


@blueprint.delete("/installable/<oauth_id>")
def uninstalled(oauth_id: str) -> Response:
    """HipChat's server-side uninstall (§2.4 variant A); idempotent."""
    rt = runtime()
    try:
        uninstall(oauth_id, settings=rt.settings, store=rt.store, tokens=rt.tokens, http=rt.http)
    except InstallError as exc:
        return error_response(exc.status, exc.message)
    return Response(status=204)


@blueprint.get("/uninstalled")
def uninstalled_redirect() -> Any:
    """The browser uninstall flow (§2.4 variant B): confirm, delete, send the browser back."""
    rt = runtime()
    installable_url = request.args.get("installable_url", "")
    redirect_url = request.args.get("redirect_url", "")
    if not installable_url or not redirect_url:
        return error_response(400, "installable_url and redirect_url are required")
    if not rt.settings.is_trusted(redirect_url):
        return error_response(400, "redirect_url is not on a trusted host")
    try:
        oauth_id = oauth_id_from_installable(installable_url, rt.settings, rt.http)
        uninstall(oauth_id, settings=rt.settings, store=rt.store, tokens=rt.tokens, http=rt.http)
    except InstallError as exc:
        return error_response(exc.status, exc.message)
    return redirect(redirect_url, code=302)


@blueprint.post("/webhook/<key>")
def webhook(key: str) -> Response:
    """A webhook from HipChat: JWT -> event -> handler -> reply (§4, §5)."""
    rt = runtime()
    handler = rt.addon.registry.get(key)
    if handler is None:
        return error_response(404, f"no webhook handler with key {key!r}")
    try:
        payload = _json_body()
        installation, claims = auth.authenticate_webhook(
            request, payload, rt.installation, rt.store.box.decrypt, rt.settings
        )
        event = parse_event(payload)
    except (auth.JWTError, RequestError) as exc:
        return error_response(exc.status, exc.message)
    except EventError as exc:
        return error_response(400, str(exc))
    if event.type != handler.event:
        return error_response(
            400, f"webhook {key!r} takes {handler.event} events, not {event.type}"
        )
    if _sender_mismatch(claims, event):
        return error_response(400, "the JWT's user does not match the event's sender")
    event.bind(installation, lambda: rt.client_for(installation))
    reply = dispatch.run(handler, event)
    if reply is None:
        return Response(status=204)
    return Response(json.dumps(reply.to_json()), status=200, mimetype="application/json")


@blueprint.route("/configure", methods=["GET", "POST"])
def configure() -> Any:
    """The configure page (§1.6), shown only behind a verified ``signed_request``."""
    rt = runtime()
    if rt.addon.configure_func is None:
        return error_response(404, "this add-on has no configure page")
    try:
        page = Page.from_request(request, rt)
    except auth.JWTError as exc:
        return error_response(exc.status, exc.message)
    return rt.addon.configure_func(page)


def _sender_mismatch(claims: auth.Claims | None, event: Event) -> bool:
    """ac-flask's check: a JWT user and an event sender that both exist must agree (§4.2)."""
    if claims is None or not claims.user_id or event.sender is None:
        return False
    return str(event.sender.id) != str(claims.user_id)


def _json_body() -> Any:
    """The request's JSON body; RequestError(415/400) when it is not JSON."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise RequestError(415, "the body must be application/json")
    try:
        return json.loads(request.get_data(cache=True))
    except ValueError:
        raise RequestError(400, "the body is not valid JSON") from None
