"""``uninstall OAUTH_ID``: uninstall an add-on from a running emulator (client deleted, then
``DELETE {callbackUrl}/{oauthId}`` sent to the add-on).

Prints one line with the add-on's answer; exits 1 when the emulator refuses (unknown oauthId)
or when the add-on did not acknowledge the DELETE (the uninstall itself has happened then).
"""

from __future__ import annotations

import argparse
import sys

from addon.emulator.commands._remote import RemoteError, add_emulator_option, admin_call

NAME = "uninstall"
HELP = "uninstall an add-on installation from a running emulator"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the oauthId and --emulator."""
    parser.add_argument("oauth_id", help="the installation's oauthId")
    add_emulator_option(parser)


def run(args: argparse.Namespace) -> int:
    """DELETE /emulator/api/installations/<oauthId> and report what the add-on answered."""
    try:
        data = admin_call(
            "DELETE", args.emulator, f"installations/{args.oauth_id}", timeout=args.timeout
        )
    except RemoteError as exc:
        print(f"uninstall failed: {exc}", file=sys.stderr)
        return 1
    if data.get("addon_error"):
        print(
            f"uninstalled {args.oauth_id}, but the add-on was not told: {data['addon_error']}",
            file=sys.stderr,
        )
        return 1
    print(f"uninstalled {args.oauth_id} (add-on answered {data.get('addon_status')})", flush=True)
    return 0
