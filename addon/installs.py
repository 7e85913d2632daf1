"""Install and uninstall (HIPCHAT.md §2): trust checks, capabilities fetch, proof, persistence.

An install is stored only after everything remote succeeded: the ``capabilitiesUrl`` is on a
trusted host, HipChat's capabilities document names itself correctly, and the OAuth secret
mints a token. An uninstall is believed only once HipChat refuses the stored credentials, so a
forged ``DELETE`` changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3
from sqlalchemy import delete

from addon.config import Settings
from addon.errors import RequestError
from addon.hipchat import HipChat, HipChatError, UnauthorizedError
from addon.ssrf import UntrustedURLError, check_url
from addon.store import Installation, RoomWebhook, Store
from addon.store.upsert import upsert
from addon.tokens import Grant, TokenManager, mint
from addon.webhooks import WantedHook, register, remove_registered

log = logging.getLogger("addon.installs")

_MAX_REDIRECTS = 3
_MAX_ID = 2**63  # ids are stored as BIGINT


class InstallError(RequestError):
    """An install or uninstall that must be refused; ``status`` is the HTTP answer to give."""


@dataclass(frozen=True)
class InstallRequest:
    """The install JSON HipChat POSTs to ``callbackUrl`` (§2.1), checked and typed."""

    oauth_id: str
    oauth_secret: str
    capabilities_url: str
    group_id: int
    room_id: int | None

    def __repr__(self) -> str:  # never show the secret, even in a debugger or a traceback
        return (
            f"InstallRequest(oauth_id={self.oauth_id!r}, group_id={self.group_id}, "
            f"room_id={self.room_id}, capabilities_url={self.capabilities_url!r})"
        )


@dataclass(frozen=True)
class Capabilities:
    """What the add-on needs from HipChat's capabilities document (§1.8)."""

    token_url: str
    api_url: str


def parse_install(payload: Any) -> InstallRequest:
    """Check the install JSON's fields and types; raises InstallError(400) naming the field."""
    if not isinstance(payload, Mapping):
        raise InstallError(400, "the install body must be a JSON object")
    oauth_id = _string(payload, "oauthId", 64)
    try:
        uuid.UUID(oauth_id)
    except ValueError:
        raise InstallError(400, "oauthId must be a UUID") from None
    return InstallRequest(
        oauth_id=oauth_id,
        oauth_secret=_string(payload, "oauthSecret", 256),
        capabilities_url=_string(payload, "capabilitiesUrl", 2048),
        group_id=_integer(payload, "groupId", required=True),
        room_id=_integer(payload, "roomId", required=False),
    )


def _string(payload: Mapping[str, Any], name: str, limit: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InstallError(400, f"{name} is required and must be a non-empty string")
    if len(value) > limit:
        raise InstallError(400, f"{name} is longer than {limit} characters")
    return value


def _integer(payload: Mapping[str, Any], name: str, *, required: bool) -> Any:
    value = payload.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool):
        raise InstallError(400, f"{name} must be an integer")
    if isinstance(value, str) and value.strip().isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, int):
        if not 0 < value < _MAX_ID:
            raise InstallError(400, f"{name} must be a positive 64-bit integer")
        return value
    raise InstallError(
        400, f"{name} must be an integer" + (" (it is required)" if required else "")
    )


def check_scope_of_install(
    request: InstallRequest, *, allow_room: bool, allow_global: bool
) -> None:
    """Refuse a room or global install the descriptor does not allow (400, ac-flask's rule)."""
    if request.room_id is None and not allow_global:
        raise InstallError(400, "this add-on can only be installed into a room, not globally")
    if request.room_id is not None and not allow_room:
        raise InstallError(400, "this add-on can only be installed globally, not into a room")


def get_trusted_json(url: str, settings: Settings, http: requests.Session, what: str) -> Any:
    """GET a JSON document from a trusted host: redirects re-checked, size and time bounded.

    Every URL, the first and each redirect target, is checked against ``ADDON_TRUSTED_HOSTS``
    before any connection is made; anything else is refused with 400.
    """
    deadline = time.monotonic() + settings.http_timeout
    for _ in range(_MAX_REDIRECTS + 1):
        _check_destination(url, settings, what)
        try:
            with http.get(
                url,
                timeout=settings.http_timeout,
                allow_redirects=False,
                stream=True,
                verify=settings.verify_tls,
                headers={"Accept": "application/json"},
            ) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                body = _read_bounded(response, settings.max_capabilities_bytes, what, deadline)
                status = response.status_code
        except requests.RequestException as exc:
            raise InstallError(502, f"could not fetch {what}: {type(exc).__name__}") from None
        if status != 200:
            raise InstallError(502, f"{what} answered HTTP {status}")
        try:
            return json.loads(body)
        except ValueError:
            raise InstallError(502, f"{what} is not JSON") from None
    raise InstallError(502, f"{what} redirected more than {_MAX_REDIRECTS} times")


def _check_destination(url: str, settings: Settings, what: str) -> None:
    """Refuse, before connecting, a URL on an untrusted host or an untrusted address (SSRF)."""
    try:
        check_url(url, settings, what)
    except UntrustedURLError as exc:
        raise InstallError(exc.status, exc.message) from None


def _read_bounded(
    response: requests.Response, limit: int, what: str, deadline: float | None = None
) -> bytes:
    """The body, refused when over ``limit`` bytes or still arriving at ``deadline``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        try:  # read1: whatever has arrived, so a server dripping bytes meets the deadline
            chunk = response.raw.read1(16384, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise InstallError(502, f"could not read {what}: {type(exc).__name__}") from None
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise InstallError(502, f"{what} is larger than {limit} bytes")
        if deadline is not None and time.monotonic() > deadline:
            raise InstallError(502, f"{what} took longer than ADDON_HTTP_TIMEOUT to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_capabilities(url: str, settings: Settings, http: requests.Session) -> Capabilities:
    """Fetch HipChat's capabilities document and read the token and API URLs from it."""
    document = get_trusted_json(url, settings, http, "capabilitiesUrl")
    if not isinstance(document, dict):
        raise InstallError(502, "the capabilities document is not a JSON object")
    links = document.get("links") if isinstance(document.get("links"), dict) else {}
    if links.get("self") != url:
        raise InstallError(
            400, "the capabilities document's links.self does not match capabilitiesUrl"
        )
    caps = document.get("capabilities") if isinstance(document.get("capabilities"), dict) else {}
    oauth = caps.get("oauth2Provider") if isinstance(caps.get("oauth2Provider"), dict) else {}
    api = caps.get("hipchatApiProvider") if isinstance(caps.get("hipchatApiProvider"), dict) else {}
    token_url = oauth.get("tokenUrl")
    api_url = api.get("url") or links.get("api")
    if not isinstance(token_url, str) or not isinstance(api_url, str):
        raise InstallError(502, "the capabilities document names no tokenUrl or API url")
    for name, value in (("tokenUrl", token_url), ("API url", api_url)):
        if not settings.is_trusted(value):
            raise InstallError(400, f"the capabilities document's {name} is not on a trusted host")
        _check_destination(value, settings, f"the capabilities document's {name}")
    return Capabilities(
        token_url=token_url, api_url=api_url if api_url.endswith("/") else api_url + "/"
    )


def install(
    request: InstallRequest,
    *,
    scopes: Sequence[str],
    settings: Settings,
    store: Store,
    tokens: TokenManager,
    http: requests.Session,
    room_hooks: Sequence[WantedHook] = (),
) -> Installation:
    """Prove, then store (or update in place) an installation; all or nothing."""
    caps = fetch_capabilities(request.capabilities_url, settings, http)
    grant = _prove(request, caps, scopes, settings, http)
    hook_rows = []
    if request.room_id is not None and room_hooks:
        client = HipChat(
            token=grant.access_token,
            base_url=caps.api_url,
            timeout=settings.http_timeout,
            verify=settings.verify_tls,
            session=http,
        )
        # A reinstall with the same oauthId replaces the hooks the earlier one created.
        remove_registered(client, store, request.oauth_id)
        try:
            hook_rows = register(client, request.room_id, room_hooks)
        except HipChatError as exc:
            raise InstallError(502, f"HipChat refused to create the room webhooks: {exc}") from None
    now = datetime.now(UTC)
    with store.session() as session:
        session.execute(delete(RoomWebhook).where(RoomWebhook.oauth_id == request.oauth_id))
        # One statement, so concurrent installs of one oauthId leave one complete row.
        upsert(
            session,
            Installation,
            {
                "oauth_id": request.oauth_id,
                "oauth_secret_encrypted": store.box.encrypt(request.oauth_secret),
                "group_id": request.group_id,
                "group_name": grant.group_name,
                "room_id": request.room_id,
                "capabilities_url": request.capabilities_url,
                "token_url": caps.token_url,
                "api_url": caps.api_url,
                "scopes": " ".join(scopes),
                "created_at": now,
                "updated_at": now,
            },
            conflict=("oauth_id",),
            keep=("created_at",),
        )
        for hook in hook_rows:
            hook.oauth_id = request.oauth_id
            session.add(hook)
        row = session.get(Installation, request.oauth_id)
    tokens.forget(request.oauth_id)
    tokens.remember(request.oauth_id, grant)
    log.info(
        "installed installation=%s group=%s room=%s",
        request.oauth_id,
        request.group_id,
        request.room_id,
    )
    return row


def _prove(
    request: InstallRequest,
    caps: Capabilities,
    scopes: Sequence[str],
    settings: Settings,
    http: requests.Session,
) -> Grant:
    try:
        return mint(
            oauth_id=request.oauth_id,
            secret=request.oauth_secret,
            token_url=caps.token_url,
            api_url=caps.api_url,
            scopes=scopes,
            http=http,
            timeout=settings.http_timeout,
            verify=settings.verify_tls,
        )
    except HipChatError as exc:
        raise InstallError(
            502, f"HipChat refused the installation's credentials: {exc.message}"
        ) from None


def uninstall(
    oauth_id: str,
    *,
    settings: Settings,
    store: Store,
    tokens: TokenManager,
    http: requests.Session,
) -> bool:
    """Delete an installation once HipChat refuses its credentials; False when unknown.

    Raises InstallError(403) when HipChat still honours the credentials (a forged request) and
    InstallError(502) when HipChat cannot be asked; nothing changes in either case.
    """
    with store.session() as session:
        row = session.get(Installation, oauth_id)
        if row is None:
            return False
        secret = store.box.decrypt(row.oauth_secret_encrypted)
        token_url, api_url, scopes = row.token_url, row.api_url, row.scope_list
    try:
        mint(
            oauth_id=oauth_id,
            secret=secret,
            token_url=token_url,
            api_url=api_url,
            scopes=scopes,
            http=http,
            timeout=settings.http_timeout,
            verify=settings.verify_tls,
        )
    except UnauthorizedError:
        pass  # HipChat no longer knows the client: the uninstall is real
    except HipChatError as exc:
        raise InstallError(
            502, f"could not confirm the uninstall with HipChat: {exc.message}"
        ) from None
    else:
        log.warning(
            "refused uninstall of installation=%s: HipChat still honours its credentials",
            oauth_id,
        )
        raise InstallError(403, "HipChat still honours this installation; uninstall refused")
    with store.session() as session:
        session.execute(delete(Installation).where(Installation.oauth_id == oauth_id))
    tokens.forget(oauth_id)
    log.info("uninstalled installation=%s", oauth_id)
    return True


def oauth_id_from_installable(url: str, settings: Settings, http: requests.Session) -> str:
    """The oauthId behind a one-time ``installable_url`` of the browser flows (§2.3, §2.4)."""
    document = get_trusted_json(url, settings, http, "installable_url")
    oauth_id = document.get("oauthId") if isinstance(document, dict) else None
    if not isinstance(oauth_id, str) or not oauth_id:
        raise InstallError(502, "installable_url answered without an oauthId")
    return oauth_id
