"""``AddonHost``: the emulator's add-on side in one object — installations, webhook delivery on
a worker pool, and the delivery log — attached to an ``Emulator`` by ``create_app``.

``attach`` subscribes the delivery listener permanently (test harnesses that call
``unsubscribe_all`` keep webhooks working) and sets ``state.addons``, which gives
``Emulator.wait_idle(timeout)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from addon.emulator.addons.deliveries import DeliveryLog
from addon.emulator.addons.delivery import Dispatcher
from addon.emulator.addons.installs import Installations
from addon.emulator.addons.pool import LanePool

if TYPE_CHECKING:
    from addon.emulator.state.emulator import Emulator


class AddonHost:
    """Installations, deliveries and their log for one emulator."""

    def __init__(self, state: Emulator) -> None:
        self.state = state
        self.deliveries = DeliveryLog(int(state.config["EMULATOR_DELIVERY_LOG_LIMIT"]))
        self.pool = LanePool(int(state.config["EMULATOR_WEBHOOK_WORKERS"]))
        self.installations = Installations(state)
        self.dispatcher = Dispatcher(state, self.installations, self.pool, self.deliveries)
        self._unsubscribe: Callable[[], None] | None = None

    @classmethod
    def attach(cls, state: Emulator) -> AddonHost:
        """Create the host for ``state``, subscribe it to room events, set ``state.addons``."""
        host = cls(state)
        host._unsubscribe = state.subscribe(host.dispatcher.on_event, permanent=True)
        state.addons = host
        return host

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until queued deliveries (and deliveries they cause) are done; False on
        timeout."""
        return self.pool.wait_idle(timeout)

    def clear(self) -> None:
        """Forget installations and the delivery log (the emulator is being reset)."""
        self.installations.clear()
        self.deliveries.clear()

    def close(self) -> None:
        """Stop delivering: unsubscribe and drop queued deliveries."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.pool.close()
