"""SSRF on install: the add-on connects only to trusted hosts on trusted addresses, briefly.

A canary listener on loopback proves that a refused URL was never connected to; fake
capabilities servers prove that redirects are re-checked and that responses are bounded in size
and time.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, redirect

from addon.config import Settings
from addon.emulator import create_app as create_emulator
from addon.emulator import make_self_signed_cert, make_ssl_context
from addon.ssrf import GuardedAdapter, UntrustedURLError, check_url, trusted_networks
from tests.e2e.conftest import LOBBY
from tests.e2e.test_install_failures import Canary
from tests.security.conftest import counts


def payload(emulator, capabilities_url: str) -> dict[str, Any]:
    oauth_id, secret = emulator.state.create_client(["send_notification", "view_room"], 1, LOBBY)
    return {
        "oauthId": oauth_id,
        "oauthSecret": secret,
        "capabilitiesUrl": capabilities_url,
        "groupId": 1,
        "roomId": LOBBY,
    }


def install(live, body):
    return requests.post(f"{live.url}/addon/installable", json=body, timeout=15)


def serve_bot(serve_addon, **config):
    import wsgi

    return serve_addon(wsgi.create_app, **config)


def assert_refused(answer, live, status: int = 400, words: str = "") -> None:
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]["message"]
    assert counts(live)["addon_installation"] == 0


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/v2/capabilities",  # loopback literal, not listed
        "http://127.1:{port}/v2/capabilities",  # short form of the same
        "http://2130706433:{port}/v2/capabilities",  # decimal form of the same
        "http://[::ffff:127.0.0.1]:{port}/v2/capabilities",  # IPv4-mapped IPv6
        "http://localhost:{port}/v2/capabilities",  # a name for loopback
        "http://0.0.0.0:{port}/v2/capabilities",
        "http://user:pw@127.0.0.1:{port}/v2/capabilities",
    ],
)
def test_untrusted_addresses_are_never_connected_to(emulator, serve_addon, leak_guard, template):
    canary = Canary()
    live = serve_bot(serve_addon)
    answer = leak_guard.body(install(live, payload(emulator, template.format(port=canary.port))))
    assert_refused(answer, live, 400, "trusted")
    assert not canary.connected()


def test_a_trusted_name_resolving_to_loopback_needs_the_address_trusted(emulator, serve_addon):
    canary = Canary()
    live = serve_bot(serve_addon, ADDON_TRUSTED_HOSTS=f"localhost:{canary.port}")
    answer = install(live, payload(emulator, f"http://localhost:{canary.port}/v2/capabilities"))
    assert_refused(answer, live, 400, "non-public address")
    assert not canary.connected()


def test_a_trusted_name_with_its_network_trusted_is_fetched(emulator, serve_addon):
    canary = Canary()
    live = serve_bot(serve_addon, ADDON_TRUSTED_HOSTS=f"localhost:{canary.port},127.0.0.0/8")
    thread = threading.Thread(
        target=lambda: install(live, payload(emulator, f"http://localhost:{canary.port}/c"))
    )
    thread.start()
    assert canary.connected()  # the network is trusted: the add-on did connect
    canary.sock.close()
    thread.join(15)


def test_a_redirect_to_an_untrusted_host_is_refused(emulator, serve_addon, serve_app):
    canary = Canary()
    bouncer = Flask("bouncer")

    @bouncer.get("/v2/capabilities")
    def bounce():
        return redirect(f"http://127.0.0.1:{canary.port}/v2/capabilities", code=302)

    fake = serve_app(bouncer)
    live = serve_bot(serve_addon, ADDON_TRUSTED_HOSTS=f"{emulator.host},127.0.0.1:{fake.port}")
    answer = install(live, payload(emulator, f"{fake.url}/v2/capabilities"))
    assert_refused(answer, live, 400, "trusted")
    assert not canary.connected()


def test_untrusted_token_url_in_the_capabilities_document_is_refused(
    emulator, serve_addon, serve_app
):
    canary = Canary()
    impostor = Flask("impostor")

    @impostor.get("/v2/capabilities")
    def capabilities():
        document = requests.get(f"{emulator.url}/v2/capabilities", timeout=5).json()
        document["links"]["self"] = f"{fake.url}/v2/capabilities"
        document["capabilities"]["oauth2Provider"]["tokenUrl"] = (
            f"http://127.0.0.1:{canary.port}/token"
        )
        return document

    fake = serve_app(impostor)
    live = serve_bot(serve_addon, ADDON_TRUSTED_HOSTS=f"{emulator.host},127.0.0.1:{fake.port}")
    answer = install(live, payload(emulator, f"{fake.url}/v2/capabilities"))
    assert_refused(answer, live, 400, "tokenUrl")
    assert not canary.connected()


class RawServer:
    """A loopback HTTP server answering every connection with ``respond(conn)``."""

    def __init__(self, respond) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.respond = respond
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.respond(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def factory(respond) -> RawServer:
        server = RawServer(respond)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.close()


def test_a_slow_dripping_server_is_cut_off(emulator, serve_addon, raw_server):
    def drip(conn, stop):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.sendall(b"Content-Length: 100000\r\n\r\n{")
        while not stop.is_set():
            conn.sendall(b" ")
            time.sleep(0.05)

    server = raw_server(drip)
    live = serve_bot(
        serve_addon, ADDON_TRUSTED_HOSTS=f"127.0.0.1:{server.port}", ADDON_HTTP_TIMEOUT=0.5
    )
    started = time.monotonic()
    answer = install(live, payload(emulator, f"http://127.0.0.1:{server.port}/v2/capabilities"))
    assert time.monotonic() - started < 3
    assert_refused(answer, live, 502, "took longer")


def test_a_silent_server_times_out(emulator, serve_addon, raw_server):
    server = raw_server(lambda conn, stop: stop.wait(5))
    live = serve_bot(
        serve_addon, ADDON_TRUSTED_HOSTS=f"127.0.0.1:{server.port}", ADDON_HTTP_TIMEOUT=0.3
    )
    started = time.monotonic()
    answer = install(live, payload(emulator, f"http://127.0.0.1:{server.port}/v2/capabilities"))
    assert time.monotonic() - started < 3
    assert_refused(answer, live, 502, "Timeout")


def test_a_huge_document_is_cut_off(emulator, serve_addon, raw_server):
    sent = []

    def flood(conn, stop):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        block = b" " * 65536
        for _ in range(1000):  # 64 MB unless the add-on hangs up first
            if stop.is_set():
                break
            conn.sendall(block)
            sent.append(len(block))

    server = raw_server(flood)
    live = serve_bot(
        serve_addon,
        ADDON_TRUSTED_HOSTS=f"127.0.0.1:{server.port}",
        ADDON_MAX_CAPABILITIES_BYTES=100_000,
    )
    answer = install(live, payload(emulator, f"http://127.0.0.1:{server.port}/v2/capabilities"))
    assert_refused(answer, live, 502, "larger than 100000 bytes")
    time.sleep(0.1)
    assert sum(sent) < 64 * 1024 * 1024  # the add-on stopped reading long before the end


def test_the_browser_uninstall_flow_checks_installable_url(emulator, serve_addon):
    canary = Canary()
    live = serve_bot(serve_addon)
    answer = requests.get(
        f"{live.url}/addon/uninstalled",
        params={
            "installable_url": f"http://127.0.0.1:{canary.port}/x",
            "redirect_url": f"{emulator.url}/emulator/uninstalled",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 400
    assert "trusted" in answer.json()["error"]["message"]
    assert not canary.connected()


# -- the check itself --------------------------------------------------------------------------


def settings(*hosts: str) -> Settings:
    return Settings(
        base_url="http://a", database_url="sqlite://", secret_keys=("k",), trusted_hosts=hosts
    )


def fixed(*addresses: str):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.1.2.3",),
        ("169.254.169.254",),
        ("192.168.0.1",),
        ("::1",),
        ("fe80::1",),
        ("fd00::1",),
        ("93.184.216.34", "10.0.0.1"),
        ("100.64.0.1",),
        ("224.0.0.1",),
    ],
)
def test_names_resolving_to_special_addresses_are_refused(addresses):
    with pytest.raises(UntrustedURLError) as info:
        check_url(
            "https://hc.example.com/v2/", settings("hc.example.com"), "url", fixed(*addresses)
        )
    assert info.value.status == 400


def test_public_addresses_and_trusted_networks_pass():
    check_url("https://hc.example.com/", settings("hc.example.com"), "u", fixed("93.184.216.34"))
    trusting = settings("hc.example.com", "10.0.0.0/8")
    check_url("https://hc.example.com/", trusting, "u", fixed("10.20.30.40"))
    with pytest.raises(UntrustedURLError):
        check_url("https://hc.example.com/", trusting, "u", fixed("192.168.1.1"))


def test_unresolvable_hosts_are_502():
    def fail(host, port):
        raise socket.gaierror("no such host")

    with pytest.raises(UntrustedURLError) as info:
        check_url("https://hc.example.com/", settings("hc.example.com"), "u", fail)
    assert info.value.status == 502


def test_trusted_networks_reads_addresses_and_networks_only():
    found = trusted_networks(settings("api.hipchat.com", "127.0.0.1:8080", "[::1]:9", "10.0.0.0/8"))
    assert [str(n) for n in found] == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]


def test_ip_literals_need_an_exact_entry():
    with pytest.raises(UntrustedURLError):
        check_url("http://8.8.8.8/", settings("*.example.com"), "u", fixed("8.8.8.8"))
    check_url("http://8.8.8.8/", settings("8.8.8.8"), "u", fixed("8.8.8.8"))


# -- DNS rebinding: the address is checked where the connection is made ----------------------


class RebindingDNS:
    """``socket.getaddrinfo`` for one name: the first answer is ``first`` (what the add-on's
    check sees), every later answer is ``later`` (what a rebinding DNS server says next)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, first: str, later: str):
        self.name, self.first, self.later = name, first, later
        self.answers = 0
        self.real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        self.answers += 1
        return self.real(self.first if self.answers == 1 else self.later, port, *args, **kwargs)


def test_a_dns_answer_that_changes_after_the_check_is_not_followed(
    emulator, serve_addon, monkeypatch
):
    port = urlsplit(emulator.url).port
    canary = Canary("127.0.0.2", port)  # same port as HipChat, on an address nobody trusted
    name = "hipchat.rebinding.test"
    live = serve_bot(serve_addon, ADDON_TRUSTED_HOSTS=f"{name}:{port},127.0.0.1")
    dns = RebindingDNS(monkeypatch, name, first="127.0.0.1", later="127.0.0.2")

    answer = install(live, payload(emulator, f"http://{name}:{port}/v2/capabilities"))
    assert_refused(answer, live, 502, "could not fetch capabilitiesUrl")
    assert dns.answers == 2  # the check's answer, then the connection's own
    assert not canary.connected()
    # The control: a plain client under the same DNS follows the new answer to the canary.
    with pytest.raises(requests.RequestException):
        requests.get(f"http://{name}:{port}/v2/capabilities", timeout=0.5)
    assert canary.connected()


def test_the_guarded_adapter_checks_each_connection_it_makes():
    canary = Canary()
    url = f"http://127.0.0.1:{canary.port}/"
    untrusting = requests.Session()
    untrusting.mount("http://", GuardedAdapter([]))
    with pytest.raises(requests.ConnectionError, match="refused to connect"):
        untrusting.get(url, timeout=1)
    assert not canary.connected()
    trusting = requests.Session()
    trusting.mount("http://", GuardedAdapter([ipaddress.ip_network("127.0.0.0/8")]))
    with pytest.raises(requests.Timeout):  # connected; the canary never answers
        trusting.get(url, timeout=0.3)
    assert canary.connected()


def test_a_guarded_https_connection_still_verifies_the_certificate_by_name(
    tmp_path: Path, serve_app
):
    cert, key = make_self_signed_cert(tmp_path)
    live = serve_app(create_emulator(), ssl_context=make_ssl_context(cert, key))
    port = urlsplit(live.url).port
    session = requests.Session()
    loopback = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    session.mount("https://", GuardedAdapter(loopback))
    answer = session.get(f"https://localhost:{port}/v2/capabilities", verify=cert, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["links"]["self"] == f"https://localhost:{port}/v2/capabilities"
    with pytest.raises(requests.exceptions.SSLError):  # no CA knows the generated certificate
        session.get(f"https://localhost:{port}/v2/capabilities", timeout=5)
