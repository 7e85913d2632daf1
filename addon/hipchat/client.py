"""``HipChat``: the transport every resource handle uses, and the factories for those handles.

One ``requests.Session`` per client (``hc.http``) gives connection reuse; per-request state
(token, headers) is never stored on it, so one client is safe to share between threads.
Requests that HipChat refuses with 429 or 503 are retried under a ``RetryPolicy``; every
failure surfaces as a ``HipChatError`` subclass, never as a bare ``requests`` exception.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
import urllib3

from addon.hipchat.constants import DEFAULT_BASE_URL
from addon.hipchat.emoticons import EmoticonResource
from addon.hipchat.errors import (
    ConnectionFailedError,
    RequestTimeoutError,
    TransportError,
    error_for,
)
from addon.hipchat.response import Response
from addon.hipchat.retry import RetryPolicy
from addon.hipchat.rooms import RoomResource
from addon.hipchat.sessions import SessionResource
from addon.hipchat.users import UserResource
from addon.hipchat.wire import Params, clean_params, is_absolute, normalise_base_url

log = logging.getLogger("addon.hipchat")

USER_AGENT = "hipchat-addon-client/0.1"


class HipChat:
    """A HipChat REST API v2 client bound to one token and one API base URL."""

    def __init__(
        self,
        token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_retry_time: float = 30.0,
        verify: bool | str = True,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.base_url = base_url
        self.timeout = timeout
        self.verify = verify
        self.retry = RetryPolicy(max_retries=max_retries, max_retry_time=max_retry_time)
        self.sleep = sleep
        self.clock = clock
        self._owns_http = session is None
        self.http = session if session is not None else requests.Session()

    # -- configuration -------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The bearer token sent on requests; None sends no Authorization header."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value or None

    @property
    def base_url(self) -> str:
        """The API base, always ending with "/" (e.g. ``https://host/v2/``)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = normalise_base_url(value)

    @property
    def max_retries(self) -> int:
        """How many times a 429/503 is retried before its error is raised."""
        return self.retry.max_retries

    @max_retries.setter
    def max_retries(self, value: int) -> None:
        self.retry = dataclasses.replace(self.retry, max_retries=value)

    @property
    def max_retry_time(self) -> float:
        """Seconds a call may spend waiting on retries before giving up."""
        return self.retry.max_retry_time

    @max_retry_time.setter
    def max_retry_time(self, value: float) -> None:
        self.retry = dataclasses.replace(self.retry, max_retry_time=value)

    def url_for(self, path: str) -> str:
        """Join ``path`` to the base URL; absolute URLs (``links.next``) are used unchanged."""
        if is_absolute(path):
            return path
        return self.base_url + path.lstrip("/")

    def close(self) -> None:
        """Close the underlying session if this client created it."""
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> HipChat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HipChat(base_url={self.base_url!r}, token={'set' if self.token else None})"

    # -- resources -----------------------------------------------------------------------

    def room(self, room_id_or_name: int | str | None = None) -> RoomResource:
        """A new handle on one room (or on the room collection when no id is given)."""
        return RoomResource(self, room_id_or_name)

    def user(self, user_id_or_email: int | str | None = None) -> UserResource:
        """A new handle on one user (id, email or ``@mention``) or on the user collection."""
        return UserResource(self, user_id_or_email)

    def emoticon(self, id_or_shortcut: int | str | None = None) -> EmoticonResource:
        """A new handle on one emoticon (id or shortcut) or on the emoticon collection."""
        return EmoticonResource(self, id_or_shortcut)

    def session(self, access_token: str | None = None) -> SessionResource:
        """A new handle on one OAuth session (token), or on the token endpoint when None."""
        return SessionResource(self, access_token)

    # -- transport -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
    ) -> Response:
        """Send one API call, retrying 429/503 within the policy; raise a typed error if not 2xx.

        ``json`` is sent as ``application/json``, ``data`` as a form; ``auth`` is HTTP Basic and
        replaces the bearer token; ``token`` overrides ``self.token`` for this call only.
        """
        method = method.upper()
        url = self.url_for(path)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        bearer = token or self.token
        if auth is None and bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        query = clean_params(params)
        started = self.clock()
        attempt = 0
        while True:
            response = self._send(method, url, headers, query, json, data, auth)
            if response.ok:
                return response
            error = error_for(response)
            if not self.retry.should_retry(response, attempt):
                raise error
            now = self.clock()
            wait = self.retry.wait(response, attempt, now)
            budget = self.retry.max_retry_time - (now - started)
            if wait > budget:
                log.warning(
                    "%s %s: %s, retry wait %.2fs exceeds budget %.2fs",
                    method,
                    url,
                    response.status_code,
                    wait,
                    budget,
                )
                raise error
            attempt += 1
            log.info(
                "%s %s: %s, retry %d/%d in %.2fs",
                method,
                url,
                response.status_code,
                attempt,
                self.retry.max_retries,
                wait,
            )
            self.sleep(wait)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        query: list[tuple[str, str]],
        json: Any,
        data: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
    ) -> Response:
        """One HTTP exchange; ``requests`` exceptions become ``TransportError`` subclasses."""
        try:
            raw = self.http.request(
                method,
                url,
                params=query or None,
                json=json,
                data=data,
                auth=auth,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.ConnectTimeout as exc:
            raise RequestTimeoutError(
                f"{method} {url}: no connection within {self.timeout}s", maybe_sent=False
            ) from exc
        except requests.Timeout as exc:
            raise RequestTimeoutError(f"{method} {url} timed out after {self.timeout}s") from exc
        except requests.ConnectionError as exc:
            if _never_sent(exc):
                raise ConnectionFailedError(
                    f"{method} {url} failed to connect: {exc}", maybe_sent=False
                ) from exc
            raise ConnectionFailedError(
                f"{method} {url}: connection dropped before the answer: {exc}"
            ) from exc
        except requests.RequestException as exc:
            raise TransportError(f"{method} {url} failed: {exc}") from exc
        return Response.from_http(raw)


def _never_sent(exc: requests.ConnectionError) -> bool:
    """Whether a connection error happened before the request could leave: no connection was
    made (refused, DNS, connect timeout) or the TLS handshake failed."""
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )
