"""Build, test and run HipChat add-ons.

The public API is re-exported here lazily, so that ``import addon.hipchat`` (the REST client,
usable without Flask) does not pull in the framework and its dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["Addon", "Card", "Notification", "events"]

_LAZY = {
    "Addon": ("addon.extension", "Addon"),
    "Notification": ("addon.replies", "Notification"),
    "Card": ("addon.replies", "Card"),
    "events": ("addon.events", None),
}

if TYPE_CHECKING:  # pragma: no cover
    from addon import events
    from addon.extension import Addon
    from addon.replies import Card, Notification


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'addon' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
