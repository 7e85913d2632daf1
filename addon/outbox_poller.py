"""The outbox's thread in each process: retries what could not be sent at once, prunes old rows.

Requests send their own replies (``Sender.deliver_now``); the poller only picks up what they
left: rows waiting for back-off or flood control, rows of a room held back behind a retry, and
rows an earlier (crashed) process committed but never sent. It sleeps until the next row is due,
at most ``ADDON_OUTBOX_POLL`` seconds (rows written by other processes are found that way), and
is woken early when a request leaves a row behind.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from addon.store import OutboxMessage
from addon.store.types import utcnow

if TYPE_CHECKING:  # pragma: no cover
    from addon.outbox import Sender

log = logging.getLogger("addon.outbox")

#: Seconds between two prunings of delivered rows.
PRUNE_EVERY = 300.0


class Poller:
    """One daemon thread per process and sender, started lazily (also after a fork)."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._guard = threading.Lock()
        self._closed = False
        self._pruned = 0.0

    def _running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and self._pid == os.getpid()

    def ensure_started(self) -> None:
        """Start the thread of this process if it is not running; never again after ``stop``."""
        if self._running():
            return  # the common case, without the lock
        with self._guard:
            if self._closed or self._running():
                return
            self._stop.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="addon-outbox", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Make the thread look at the outbox now (a request left a row behind)."""
        self._wake.set()

    def _run(self) -> None:
        poll = self.sender.settings.outbox_poll
        wait = poll
        while not self._stop.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                break
            wait = poll
            try:
                self.sender.deliver()
                self.prune()
                due = self.sender.next_due()
                if due is not None:
                    wait = min(wait, max((due - utcnow()).total_seconds(), 0.01))
            except Exception:
                log.exception("outbox poller pass failed")

    def prune(self, *, force: bool = False) -> None:
        """Delete rows delivered more than ADDON_OUTBOX_KEEP seconds ago (at most every
        PRUNE_EVERY seconds unless ``force``); failed rows stay for the operator."""
        if not force and time.monotonic() - self._pruned < PRUNE_EVERY:
            return
        self._pruned = time.monotonic()
        cutoff = utcnow() - timedelta(seconds=self.sender.settings.outbox_keep)
        with self.sender.store.session() as session:
            session.execute(delete(OutboxMessage).where(OutboxMessage.delivered_at < cutoff))

    def stop(self) -> None:
        """Stop the thread for good (at app shutdown); pending rows stay in the database for
        the next process."""
        with self._guard:
            self._closed = True
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None
