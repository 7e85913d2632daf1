"""HTTPS with a generated self-signed certificate (HIPCHAT.md §8: links are real https URLs)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from cryptography import x509

from addon.emulator import create_app, make_self_signed_cert, make_ssl_context
from addon.testing import LiveServer


def test_certificate_covers_localhost_and_loopback(tmp_path: Path) -> None:
    cert_path, key_path = make_self_signed_cert(tmp_path / "tls")
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600


def test_https_verifies_against_the_generated_cert(
    serve_app: Callable[..., LiveServer], tmp_path: Path
) -> None:
    cert_path, key_path = make_self_signed_cert(tmp_path)
    live = serve_app(create_app(), ssl_context=make_ssl_context(cert_path, key_path))
    assert live.url.startswith("https://127.0.0.1:")
    doc = requests.get(f"{live.url}/v2/capabilities", verify=cert_path, timeout=5).json()
    assert doc["links"]["self"] == f"{live.url}/v2/capabilities"
    assert doc["capabilities"]["hipchatApiProvider"]["url"] == f"{live.url}/v2/"
    named = f"https://localhost:{live.port}/v2/capabilities"
    assert requests.get(named, verify=cert_path, timeout=5).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{live.url}/v2/capabilities", verify=True, timeout=5)


def test_https_links_in_api_responses(serve_app: Callable[..., LiveServer], tmp_path: Path) -> None:
    cert_path, key_path = make_self_signed_cert(tmp_path)
    app = create_app()
    live = serve_app(app, ssl_context=make_ssl_context(cert_path, key_path))
    token = app.extensions["emulator"].mint_token(None, "@ada").access_token
    room = requests.get(
        f"{live.url}/v2/room/1", params={"auth_token": token}, verify=cert_path, timeout=5
    ).json()
    assert room["links"]["self"] == f"https://127.0.0.1:{live.port}/v2/room/1"
