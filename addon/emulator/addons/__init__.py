"""The emulator's add-on side: installing add-ons from their descriptors (HIPCHAT.md §2),
delivering webhooks to them (§5) and uninstalling them, as HipChat did.

``AddonHost.attach(state)`` wires it to an ``Emulator``; the admin API in
``addon.emulator.views.installations`` and the ``install``/``uninstall`` CLI commands drive it.
"""

from __future__ import annotations

from addon.emulator.addons.host import AddonHost
from addon.emulator.addons.installs import Installation, Installations

__all__ = ["AddonHost", "Installation", "Installations"]
