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
needs its address or network listed. The check resolves the name itself; the connection then
resolves again, so a DNS server that changes its answer in between (rebinding) is not covered.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

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
        addresses = [ipaddress.ip_address(a.partition("%")[0]) for a in resolver(host, port)]
    except (OSError, UnicodeError, ValueError):
        raise UntrustedURLError(502, f"{what}: the host {host!r} cannot be resolved") from None
    if not addresses:
        raise UntrustedURLError(502, f"{what}: the host {host!r} has no address")
    networks = trusted_networks(settings)
    for address in addresses:
        if is_special(address) and not any(
            address.version == net.version and address in net for net in networks
        ):
            raise UntrustedURLError(
                400,
                f"{what} {url!r} resolves to a non-public address that is not trusted "
                "(list the address or its network in ADDON_TRUSTED_HOSTS)",
            )
