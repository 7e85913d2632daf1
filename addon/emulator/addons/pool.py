"""A small bounded worker pool that runs jobs in order per lane (one lane per room).

Webhook deliveries must not hold up the API request that caused the event, yet two events in
one room must reach add-ons in the order they happened. Each lane is drained by at most one
worker at a time; different rooms proceed in parallel, up to ``workers`` at once.
``wait_idle`` lets tests wait until everything queued (including jobs queued by jobs) is done.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

Job = Callable[[], None]


class LanePool:
    """Ordered-per-lane job runner on a ``ThreadPoolExecutor``."""

    def __init__(self, workers: int = 4, name: str = "emulator-webhooks") -> None:
        self._workers = max(1, int(workers))
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._cond = threading.Condition()
        self._lanes: dict[Hashable, deque[Job]] = {}
        self._pending = 0
        self._closed = False
        _close_at_exit(self)

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return self._pending

    def submit(self, lane: Hashable, job: Job) -> bool:
        """Queue ``job`` behind the lane's earlier jobs; False (dropped) once closed."""
        with self._cond:
            if self._closed:
                return False
            queue = self._lanes.get(lane)
            start = queue is None
            if queue is None:
                queue = self._lanes[lane] = deque()
            queue.append(job)
            self._pending += 1
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix=self._name)
            executor = self._executor
        if start:
            try:
                executor.submit(self._drain, lane)
            except RuntimeError:  # interpreter shutting down: nothing will run any more
                self._drop(lane)
                return False
        return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is queued or running; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        """Drop queued jobs and accept no more; a job already running finishes."""
        with self._cond:
            self._closed = True
            executor, self._executor = self._executor, None
            for queue in self._lanes.values():
                self._pending -= len(queue)
                queue.clear()
            self._cond.notify_all()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _drain(self, lane: Hashable) -> None:
        while True:
            with self._cond:
                queue = self._lanes.get(lane)
                if not queue:
                    self._lanes.pop(lane, None)
                    self._cond.notify_all()
                    return
                job = queue.popleft()
            try:
                job()
            except Exception:
                log.exception("background job in lane %r failed", lane)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _drop(self, lane: Hashable) -> None:
        with self._cond:
            queue = self._lanes.pop(lane, deque())
            self._pending -= len(queue)
            self._cond.notify_all()


def _close_at_exit(pool: LanePool) -> None:
    """Close the pool when the interpreter exits, before the executor's threads are joined,
    so a backlog for unreachable add-ons cannot hold up the exit (weakly: pools can die)."""
    register = getattr(threading, "_register_atexit", None)
    if register is None:
        return
    ref = weakref.ref(pool)

    def close() -> None:
        alive = ref()
        if alive is not None:
            alive.close()

    with contextlib.suppress(RuntimeError):  # already shutting down
        register(close)
