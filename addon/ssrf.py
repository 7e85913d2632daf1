"""Where the add-on may connect during an install: trusted hosts on addresses it may reach.

An install request names URLs (``capabilitiesUrl``, then the document's ``tokenUrl`` and API
URL) that the add-on will fetch, so whoever can POST to ``/installable`` could aim it at the
add-on's own network. Before any connection, a URL must

1. be http(s) on a host listed in ``ADDON_TRUSTED_HOSTS`` (an IP literal only when that exact
   address is listed: wildcards never match addresses), and
2. resolve only to public addresses, or to private, loopback, link-local or otherwise special
   ones that are *trusted by address*: listed in ``ADDON_TRUSTED_HOSTS`` as an IP (``10.1.2.3``,
   ``127.0.0.1:8080``) or a network (``10.0.0.0/8``).

So a trusted name that resolves into a private network (HipChat Server inside the company) also
needs its address or network listed. ``check_url`` refuses early, with a clear 400, before any
connection. The add-on's HTTP session then makes the same address check at connect time, on the
very addresses it connects to (``GuardedAdapter``): a DNS server that changes its answer between
the check and the connection (rebinding) gets nothing but a refused connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from addon.config import Settings
from addon.errors import RequestError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Iterable[str]]


class UntrustedURLError(RequestError):
    """A URL the add-on refuses to connect to (400), or whose host does not resolve (502)."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (TCP), as text."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def trusted_networks(settings: Settings) -> list[Network]:
    """The entries of ADDON_TRUSTED_HOSTS that are addresses or networks (ports dropped)."""
    networks: list[Network] = []
    for entry in settings.trusted_hosts:
        text = entry.strip().lower()
        if text.startswith("["):  # [::1]:8080
            text = text[1:].partition("]")[0]
        elif text.count(":") == 1:  # 127.0.0.1:8080
            text = text.partition(":")[0]
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue  # a host name
    return networks


def is_special(address: Address) -> bool:
    """True for anything but a public unicast address (private, loopback, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def parse_addresses(found: Iterable[str]) -> list[Address]:
    """Resolved addresses as ``ipaddress`` objects (an IPv6 zone, ``%eth0``, dropped)."""
    return [ipaddress.ip_address(text.partition("%")[0]) for text in found]


def may_connect(address: Address, networks: Sequence[Network]) -> bool:
    """Whether the add-on may connect to ``address``: public, or inside a trusted network."""
    if not is_special(address):
        return True
    return any(address.version == net.version and address in net for net in networks)


def check_url(url: str, settings: Settings, what: str, resolver: Resolver = resolve) -> None:
    """Refuse ``url`` unless the add-on may connect to it (see the module docstring)."""
    if not settings.is_trusted(url):
        raise UntrustedURLError(
            400, f"{what} {url!r} is not on a trusted host (see ADDON_TRUSTED_HOSTS)"
        )
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = parse_addresses(resolver(host, port))
    except (OSError, UnicodeError, ValueError):
        raise UntrustedURLError(502, f"{what}: the host {host!r} cannot be resolved") from None
    if not addresses:
        raise UntrustedURLError(502, f"{what}: the host {host!r} has no address")
    networks = trusted_networks(settings)
    for address in addresses:
        if not may_connect(address, networks):
            raise UntrustedURLError(
                400,
                f"{what} {url!r} resolves to a non-public address that is not trusted "
                "(list the address or its network in ADDON_TRUSTED_HOSTS)",
            )


class _GuardedConnection:
    """Mixin for urllib3 connections: resolve, check every address, connect to a checked one.

    The TLS layer still verifies the certificate against the host *name*: only the TCP
    destination is pinned to what was checked."""

    networks: tuple[Network, ...] = ()

    def _new_conn(self: Any) -> socket.socket:
        try:
            found = resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = parse_addresses(found)
        refused = [str(a) for a in addresses if not may_connect(a, self.networks)]
        if refused or not addresses:
            raise NewConnectionError(
                self,
                f"refused to connect: {self.host} resolves to non-public addresses that are not "
                f"trusted ({', '.join(refused) or 'none at all'}; see ADDON_TRUSTED_HOSTS)",
            )
        error: OSError | None = None
        for address in found:
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to public or trusted addresses, checked
    at connect time (mounted on the add-on's session for http:// and https://)."""

    def __init__(self, networks: Iterable[Network], **kwargs: Any) -> None:
        trusted = tuple(networks)
        attrs = {"networks": trusted}
        plain = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), attrs)
        tls = type("GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), attrs)
        self._pools = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The standard pool manager, building guarded pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools


def guard_session(session: requests.Session, settings: Settings) -> requests.Session:
    """Mount ``GuardedAdapter`` on ``session`` for http and https; returns the session."""
    adapter = GuardedAdapter(trusted_networks(settings))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
