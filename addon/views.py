"""The add-on's HTTP endpoints: thin handlers over installs, auth, events and dispatch.

Read top-down, the webhook view is the whole request path: find the handler for the URL key,
read the JSON, verify the JWT against the installation it names, parse the event, run the
handler, answer with its reply (HIPCHAT.md §5.4) or 204.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Flask, Response, redirect, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from addon import auth, dispatch, redact
from addon.background import Job
from addon.dedupe import claim_webhook, refuse_replay
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
from addon.once import once_store
from addon.pages import Page
from addon.webhooks import wanted

log = logging.getLogger("addon.views")

blueprint = Blueprint("addon", __name__, url_prefix="/addon")
# JWTs travel in URLs; keep them out of access logs from the moment an app serves the add-on.
blueprint.record_once(lambda _state: redact.install())


@blueprint.before_request
def limit_body() -> None:
    """Apply ADDON_MAX_BODY to every add-on endpoint (Flask's default limit is None)."""
    # One byte over the limit is let through so that _json_body can tell a chunked body that
    # was cut at the limit (Werkzeug truncates those silently) from one that fits.
    limit = runtime().settings.max_body
    current = request.max_content_length
    if limit and (current is None or current > limit + 1):
        request.max_content_length = limit + 1


@blueprint.errorhandler(413)
def too_large(_exc: Exception) -> Response:
    """Bodies over ADDON_MAX_BODY (Flask's MAX_CONTENT_LENGTH)."""
    return error_response(413, "request body too large")


def routing_error(exc: HTTPException) -> Response | HTTPException:
    """Unknown paths and methods under /addon/ answer JSON; the app's own pages are untouched."""
    prefix = blueprint.url_prefix or ""
    if request.path == prefix or request.path.startswith(prefix + "/"):
        response = error_response(exc.code or 404, exc.description or "not found")
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    return exc


def _json_routing_errors(app: Flask) -> None:
    """Install ``routing_error`` for 404/405 unless the app already handles them itself."""
    handlers = app.error_handler_spec[None]  # a defaultdict: reading creates the entry
    for code in (404, 405):
        if not handlers.get(code):
            app.register_error_handler(code, routing_error)


blueprint.record_once(lambda state: _json_routing_errors(state.app))


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
        rt.forget_installation(req.oauth_id)
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
        rt.forget_installation(oauth_id)
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
        rt.forget_installation(oauth_id)
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
        lookup, decrypt = rt.webhook_auth()
        installation, claims = auth.authenticate_webhook(
            request, payload, lookup, decrypt, rt.settings
        )
        once = once_store()

        def token() -> str:  # read again only for a JWT without a jti
            return auth.find_jwt(request) or ""

        try:
            event = parse_event(payload)
            refusal = _refusal(key, handler.event, claims, event)
        except EventError as exc:
            refusal = error_response(400, str(exc))
        if refusal is not None:
            # No handler runs, but the JWT is used up all the same (a replay is still a 401).
            if claims is not None:
                refuse_replay(once, installation.oauth_id, claims, token, rt.settings)
            return refusal
        # The JWT's id and the delivery's key in one transaction (401 on replay).
        fresh = claim_webhook(once, installation.oauth_id, claims, token, event, rt.settings)
    except (auth.JWTError, RequestError) as exc:
        return error_response(exc.status, exc.message)
    if not fresh:
        log.info("duplicate delivery to %r ignored (%s)", key, event)
        return Response(status=204)
    if handler.background:
        rt.defer(Job(key=handler.key, oauth_id=installation.oauth_id, payload=payload))
        return Response(status=204)
    event.bind(installation, lambda: rt.client_for(installation), rt.reply_outbox())
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


def _refusal(
    key: str, event_type: str, claims: auth.Claims | None, event: Event
) -> Response | None:
    """The answer to a webhook whose handler must not run (wrong event, wrong sender), else None."""
    if event.type != event_type:
        # HipChat sends a hook only its own event; anything else is ignored, not an error.
        log.warning("webhook %r got a %s event; ignored", key, event.type[:64])
        return Response(status=204)
    if _sender_mismatch(claims, event):
        return error_response(400, "the JWT's user does not match the event's sender")
    return None


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
    data = request.get_data(cache=True)
    limit = runtime().settings.max_body
    if limit and len(data) > limit:
        raise RequestError(413, "request body too large")
    try:
        return json.loads(data)
    except ValueError:
        raise RequestError(400, "the body is not valid JSON") from None
