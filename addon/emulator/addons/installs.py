"""Installing and uninstalling add-ons the way HipChat did (HIPCHAT.md §2.1, §2.2, §2.4).

Install: fetch and check the descriptor, create the OAuth client, register the descriptor's
webhooks in the installation's scope, POST the install JSON to ``callbackUrl``; any failure rolls
all of it back (502 with the add-on's words). Uninstall: delete the client first (tokens now get
401), then tell the add-on with ``DELETE {callbackUrl}/{oauthId}`` or, for the browser flow,
hand out ``uninstalledUrl?installable_url=...&redirect_url=...`` with a one-time URL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from addon.emulator.addons.descriptor import AddonDescriptor, fetch_descriptor, parse_descriptor
from addon.emulator.addons.outbound import (
    AddonError,
    call,
    describe_exception,
    describe_response,
)
from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.state.models import Room, Webhook, new_secret, utcnow
from addon.emulator.state.oauth import OAuthOps

INSTALLING, ACTIVE = "installing", "active"
INSTALLABLE_TTL = 600.0


@dataclass
class Installation:
    """One installed add-on: its OAuth client (``oauth_id``), scope and descriptor."""

    oauth_id: str
    descriptor: AddonDescriptor
    group_id: int
    room_id: int | None
    capabilities_url: str
    status: str = INSTALLING
    created: datetime = field(default_factory=utcnow)

    @property
    def is_global(self) -> bool:
        """Installed for the whole group rather than one room."""
        return self.room_id is None

    def install_json(self, secret: str) -> dict[str, Any]:
        """The body POSTed to ``callbackUrl`` (§2.1): ``roomId`` only for room installs."""
        body: dict[str, Any] = {
            "oauthId": self.oauth_id,
            "oauthSecret": secret,
            "capabilitiesUrl": self.capabilities_url,
            "groupId": self.group_id,
        }
        if self.room_id is not None:
            body["roomId"] = self.room_id
        return body


class Installations:
    """The installations of one emulator; guarded by the emulator's own lock."""

    def __init__(self, state: OAuthOps) -> None:
        self.state = state
        self._items: dict[str, Installation] = {}
        self._installable: dict[str, tuple[float, dict[str, Any]]] = {}

    @property
    def config(self) -> dict[str, Any]:
        """The emulator's settings (timeouts)."""
        return self.state.config

    # -- look-up ---------------------------------------------------------------------------------

    def get(self, oauth_id: str) -> Installation | None:
        """The installation, or None (also once its client was deleted some other way)."""
        with self.state.lock:
            found = self._items.get(oauth_id)
            if found is not None and self.state.get_client(oauth_id) is None:
                del self._items[oauth_id]
                return None
            return found

    def require(self, oauth_id: str) -> Installation:
        """Like ``get`` but 404 "Installation not found"."""
        found = self.get(oauth_id)
        if found is None:
            raise NotFoundError("Installation not found")
        return found

    def all(self) -> list[Installation]:
        """Every live installation, oldest first."""
        with self.state.lock:
            return [i for i in list(self._items.values()) if self.get(i.oauth_id) is not None]

    def status(self, oauth_id: str | None) -> str | None:
        """``installing``/``active`` for an installation's client, None for other clients."""
        if not oauth_id:
            return None
        with self.state.lock:
            found = self._items.get(oauth_id)
            return found.status if found is not None else None

    def webhooks(self, oauth_id: str) -> list[Webhook]:
        """The webhooks the installation's client owns (descriptor and REST-created)."""
        return [h for h in self.state.list_webhooks() if h.oauth_client_id == oauth_id]

    def clear(self) -> None:
        """Forget every installation and one-time URL (the emulator was reset)."""
        with self.state.lock:
            self._items.clear()
            self._installable.clear()

    # -- install ---------------------------------------------------------------------------------

    def install(
        self, descriptor_url: str, room: Any, base: str, installer: Any = None
    ) -> Installation:
        """Install the add-on described at ``descriptor_url`` into ``room`` (None: globally).
        ``base`` is the emulator's URL as the admin reached it (for ``capabilitiesUrl``)."""
        timeout = float(self.config["EMULATOR_DESCRIPTOR_TIMEOUT"])
        descriptor = parse_descriptor(fetch_descriptor(descriptor_url, timeout), descriptor_url)
        target = self.state.get_room(room) if room is not None else None
        if target is None and not descriptor.allow_global:
            raise ValidationError(
                f"{descriptor.name} can only be installed into a room (allowGlobal is false)"
            )
        if target is not None and not descriptor.allow_room:
            raise ValidationError(
                f"{descriptor.name} can only be installed globally (allowRoom is false)"
            )
        oauth_id, secret = self.state.create_client(
            descriptor.scopes,
            room_id=target.id if target else None,
            name=descriptor.from_name,
            descriptor=descriptor.raw,
            installer=installer,
        )
        installation = Installation(
            oauth_id=oauth_id,
            descriptor=descriptor,
            group_id=self.state.group.id,
            room_id=target.id if target else None,
            capabilities_url=_with_slash(base) + "v2/capabilities",
        )
        try:
            with self.state.transaction():
                self._items[oauth_id] = installation
                rooms = [target] if target else self.state.list_rooms(include_archived=True)
                for each in rooms:
                    self._add_hooks(installation, each)
            self._call_back(installation, secret)
        except BaseException:
            with self.state.transaction():
                self._items.pop(oauth_id, None)
                self.state.delete_client(oauth_id)
            raise
        with self.state.lock:
            installation.status = ACTIVE
        return installation

    def add_global_hooks(self, room: Room) -> None:
        """Give a newly created room the webhooks of every global installation."""
        with self.state.transaction():
            if self.state.find_room(room.id) is not room:
                return
            for installation in list(self._items.values()):
                owned = any(
                    h.room_id == room.id and h.oauth_client_id == installation.oauth_id
                    for h in self.state.webhooks.values()
                )
                if installation.is_global and not owned:
                    self._add_hooks(installation, room)

    def _add_hooks(self, installation: Installation, room: Room) -> None:
        for spec in installation.descriptor.webhooks:
            self.state.add_webhook(room, spec, oauth_client_id=installation.oauth_id)

    def _call_back(self, installation: Installation, secret: str) -> None:
        url = installation.descriptor.callback_url
        timeout = float(self.config["EMULATOR_INSTALL_TIMEOUT"])
        try:
            response = call("POST", url, timeout=timeout, json=installation.install_json(secret))
        except requests.RequestException as exc:
            raise AddonError(
                f"Install failed: the add-on's callbackUrl {url} could not be called: "
                f"{describe_exception(exc, timeout)}"
            ) from None
        if not 200 <= response.status_code < 300:
            raise AddonError(
                f"Install failed: the add-on's callbackUrl {url} answered "
                f"{describe_response(response)}"
            )

    def _forget(self, oauth_id: str) -> Installation:
        """Drop the installation and delete its client (tokens, webhooks): HipChat's side of
        an uninstall, done before the add-on hears about it. 404 when not installed."""
        self.require(oauth_id)
        with self.state.transaction():
            installation = self._items.pop(oauth_id, None)
            if installation is None:  # a concurrent uninstall won
                raise NotFoundError("Installation not found")
            self.state.delete_client(oauth_id)
            return installation

    # -- uninstall -------------------------------------------------------------------------------

    def uninstall(self, oauth_id: str) -> dict[str, Any]:
        """Delete the client, then ``DELETE {callbackUrl}/{oauthId}`` (no body). Returns what
        the add-on said: ``addon_status`` (None if unreachable) and ``addon_error`` words."""
        installation = self._forget(oauth_id)
        url = _join(installation.descriptor.callback_url, oauth_id)
        timeout = float(self.config["EMULATOR_INSTALL_TIMEOUT"])
        result: dict[str, Any] = {
            "oauthId": oauth_id,
            "key": installation.descriptor.key,
            "flow": "delete",
            "addon_url": url,
            "addon_status": None,
            "addon_error": None,
        }
        try:
            response = call("DELETE", url, timeout=timeout)
        except requests.RequestException as exc:
            result["addon_error"] = (
                f"DELETE {url} could not be sent: {describe_exception(exc, timeout)}"
            )
            return result
        result["addon_status"] = response.status_code
        if not 200 <= response.status_code < 300:
            result["addon_error"] = f"DELETE {url} answered {describe_response(response)}"
        return result

    def uninstall_by_redirect(self, oauth_id: str, base: str) -> dict[str, Any]:
        """The browser flow (§2.4 B): delete the client and return the URL to send the browser
        to, ``uninstalledUrl?installable_url=<one-time URL>&redirect_url=<emulator page>``."""
        installation = self.require(oauth_id)
        target = installation.descriptor.uninstalled_url
        if not target:
            raise ValidationError(
                "The add-on's descriptor declares no installable.uninstalledUrl; "
                "uninstall it without flow=redirect"
            )
        client = self.state.get_client(oauth_id)
        payload = installation.install_json(client.secret if client else "")
        self._forget(oauth_id)
        token = new_secret(32)
        with self.state.lock:
            self._expire_installable()
            self._installable[token] = (time.monotonic() + INSTALLABLE_TTL, payload)
        root = _with_slash(base)
        installable_url = f"{root}v2/addon/installable/{token}"
        redirect_url = f"{root}emulator/uninstalled?{urlencode({'oauthId': oauth_id})}"
        query = urlencode({"installable_url": installable_url, "redirect_url": redirect_url})
        return {
            "oauthId": oauth_id,
            "key": installation.descriptor.key,
            "flow": "redirect",
            "redirect_to": f"{target}{'&' if '?' in target else '?'}{query}",
            "installable_url": installable_url,
            "redirect_url": redirect_url,
        }

    def take_installable(self, token: str) -> dict[str, Any]:
        """The install JSON behind a one-time ``installable_url``; 404 after the first read."""
        with self.state.lock:
            self._expire_installable()
            entry = self._installable.pop(token, None)
        if entry is None:
            raise NotFoundError("Installable data not found (it can only be read once)")
        return entry[1]

    def _expire_installable(self) -> None:
        now = time.monotonic()
        for token in [t for t, (deadline, _) in self._installable.items() if deadline < now]:
            del self._installable[token]


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _join(callback_url: str, oauth_id: str) -> str:
    """``{callbackUrl}/{oauthId}``, keeping any query string of the callback URL."""
    parts = urlsplit(callback_url)
    path = parts.path.rstrip("/") + "/" + oauth_id
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
