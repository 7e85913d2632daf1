"""Emulator settings: defaults, then ``EMULATOR_*`` environment variables, then the app config.

Keys (all optional): EMULATOR_RATE_LIMIT (500 per token), EMULATOR_RATE_WINDOW (300 s),
EMULATOR_FLOOD_LIMIT (30 per recipient), EMULATOR_FLOOD_WINDOW (60 s), EMULATOR_TOKEN_TTL
(3600 s), EMULATOR_PERSONAL_TOKEN_TTL (1 year), EMULATOR_JOURNAL_LIMIT (10000 requests),
EMULATOR_EMPTY (False: seed data), EMULATOR_BASE_URL (pin the host used in event payloads),
EMULATOR_GROUP_ID (1), EMULATOR_GROUP_NAME ("Emulated Group"); for add-ons:
EMULATOR_DESCRIPTOR_TIMEOUT, EMULATOR_INSTALL_TIMEOUT, EMULATOR_WEBHOOK_TIMEOUT (10 s each),
EMULATOR_WEBHOOK_JWT_TTL (900 s), EMULATOR_WEBHOOK_WORKERS (4), EMULATOR_DELIVERY_LOG_LIMIT (1000).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from addon.emulator.state.core import DEFAULTS


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be an integer, not {raw!r}") from exc
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be a number, not {raw!r}") from exc
    return raw


def load_config(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merged settings: DEFAULTS < environment < ``config``; ValueError on a bad number."""
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        if name in env and env[name] != "":
            settings[name] = _coerce(name, env[name], default)
    settings.update(config or {})
    return settings
