"""The package surface: the contract's names, and no Flask or framework imports."""

from __future__ import annotations

import subprocess
import sys

import addon.hipchat as hipchat

CONTRACT_NAMES = [
    "HipChat",
    "Response",
    "Color",
    "MessageFormat",
    "HipChatError",
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "TooManyRequestsError",
    "InternalServerError",
    "ServiceUnavailableError",
    "TransportError",
    "ConnectionFailedError",
    "RequestTimeoutError",
]


def test_contract_names_are_exported() -> None:
    for name in CONTRACT_NAMES:
        assert name in hipchat.__all__
        assert getattr(hipchat, name) is not None


def test_enums_are_strings_with_hipchat_values() -> None:
    assert hipchat.Color.GREEN == "green"
    assert f"{hipchat.Color.GRAY}" == "gray"
    assert [c.value for c in hipchat.Color] == [
        "yellow",
        "green",
        "red",
        "purple",
        "gray",
        "random",
    ]
    assert hipchat.MessageFormat.HTML == "html"
    assert hipchat.MessageFormat.TEXT == "text"


def test_importing_the_client_pulls_in_no_flask_and_no_framework() -> None:
    code = (
        "import sys, addon.hipchat\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug',"
        " 'sqlalchemy', 'jwt') or (m.startswith('addon.') and not m.startswith('addon.hipchat')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
