"""``serve`` (the default command): run the emulator on a host and port, optionally over HTTPS."""

from __future__ import annotations

import argparse
import tempfile

from addon.emulator.app import create_app
from addon.emulator.serving import make_emulator_server
from addon.emulator.tls import make_self_signed_cert, make_ssl_context

NAME = "serve"
HELP = "serve the emulated HipChat API (default command)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the serve options."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (8080; 0 = any)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed cert")
    parser.add_argument(
        "--cert-dir", default=None, help="where --tls writes its certificate (a temp dir)"
    )
    parser.add_argument("--empty", action="store_true", help="start without seed data")
    parser.add_argument("--base-url", default=None, help="public URL used in event payloads")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints the URL (and certificate path with --tls)."""
    config: dict[str, object] = {}
    if args.empty:
        config["EMULATOR_EMPTY"] = True
    if args.base_url:
        config["EMULATOR_BASE_URL"] = args.base_url
    app = create_app(config)
    context = None
    cert_path = None
    if args.tls:
        directory = args.cert_dir or tempfile.mkdtemp(prefix="hipchat-emulator-")
        cert_path, key_path = make_self_signed_cert(directory)
        context = make_ssl_context(cert_path, key_path)
    server = make_emulator_server(app, args.host, args.port, context)
    scheme = "https" if context else "http"
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    url = f"{scheme}://{shown_host}:{server.port}/"
    print(f"HipChat emulator serving at {url}", flush=True)
    print(f"  capabilities: {url}v2/capabilities", flush=True)
    print(f"  admin API:    {url}emulator/api/state", flush=True)
    if cert_path:
        print(f"  certificate:  {cert_path}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
