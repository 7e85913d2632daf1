"""Background handlers: answer HipChat at once, run the handler later in its own app context.

``@addon.on(..., background=True)`` makes the webhook view answer 204 straight away and hand a
``Job`` (handler key, installation id, the event payload; never a secret or a token) to a runner:

- ``ThreadRunner`` (default): a bounded thread pool in the worker (``ADDON_BACKGROUND_WORKERS``).
- ``RqRunner`` (``ADDON_BACKGROUND=rq`` with ``ADDON_REDIS_URL``): an RQ queue in Redis, so the
  work can move to other machines running ``rq worker``; each RQ worker builds the app named by
  ``ADDON_BACKGROUND_APP`` (``module:app`` or ``module:factory``) once per process.

Each job runs inside ``app.app_context()`` with fresh database sessions; a reply the handler
returns is sent through the outbox (the webhook was answered long ago). A failing job is
logged with its installation, room and event ids and never takes the worker down.
"""

from __future__ import annotations

import importlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask

log = logging.getLogger("addon.background")


@dataclass(frozen=True)
class Job:
    """One deferred handler run: which handler, for which installation, on which event."""

    key: str
    oauth_id: str
    payload: dict[str, Any]

    def ids(self) -> str:
        """``installation=... room=... event=... webhook=...`` for log lines."""
        item = self.payload.get("item") if isinstance(self.payload.get("item"), dict) else {}
        room = item.get("room") if isinstance(item.get("room"), dict) else {}
        message = item.get("message") if isinstance(item.get("message"), dict) else {}
        return (
            f"installation={self.oauth_id} room={room.get('id')} "
            f"event={message.get('id') or self.payload.get('event')} "
            f"webhook={self.payload.get('webhook_id')}"
        )


class Runner(Protocol):
    """Something that runs jobs later: a thread pool, or a queue other machines consume."""

    def submit(self, app: Flask, job: Job) -> None:
        """Accept ``job`` for ``app``; must return at once."""


def perform_in_app(app: Flask, job: Job) -> None:
    """Run ``job`` inside ``app``'s context; log any failure with the job's ids, never raise."""
    from addon import dispatch
    from addon.events import parse_event
    from addon.extension import runtime

    try:
        with app.app_context():
            rt = runtime()
            handler = rt.addon.registry.get(job.key)
            if handler is None:
                log.error("background job for unknown handler key %r (%s)", job.key, job.ids())
                return
            installation = rt.installation(job.oauth_id)
            if installation is None:
                log.warning("background job dropped: installation is gone (%s)", job.ids())
                return
            event = parse_event(job.payload)
            event.bind(installation, lambda: rt.client_for(installation), rt.reply_outbox())
            reply = dispatch.run(handler, event)
            if reply is not None:
                event.reply(reply)
                event.finish(ok=True)  # the returned reply goes through the outbox too
    except Exception:
        log.exception("background handler %r failed (%s)", job.key, job.ids())


class ThreadRunner:
    """A bounded thread pool in this worker process; the default runner."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._guard = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._guard:  # created on first use, so no thread is started before a fork
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="addon-bg")
            return self._pool

    def submit(self, app: Flask, job: Job) -> Future[None]:
        """Queue ``job`` on the pool; returns its future (tests wait on it)."""
        return self._executor().submit(perform_in_app, app, job)

    def shutdown(self, wait: bool = True) -> None:
        """Finish (``wait``) or drop queued jobs and stop the threads."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)


class RqRunner:
    """Jobs go to an RQ queue in Redis; ``rq worker <queue>`` processes run them anywhere."""

    def __init__(self, redis_url: str, app_ref: str, queue: str = "addon") -> None:
        from redis import Redis
        from rq import Queue

        self.app_ref = app_ref
        self.queue = Queue(queue, connection=Redis.from_url(redis_url))

    def submit(self, app: Flask, job: Job) -> Any:
        """Enqueue ``job``; the RQ worker rebuilds the app from ``ADDON_BACKGROUND_APP``."""
        return self.queue.enqueue(
            perform, self.app_ref, job.key, job.oauth_id, job.payload, result_ttl=0
        )


_apps: dict[str, Flask] = {}
_apps_guard = threading.Lock()


def register_app(ref: str, app: Flask) -> None:
    """Use ``app`` for jobs naming ``ref`` in this process (``flask addon worker`` does this)."""
    with _apps_guard:
        _apps[ref] = app


def load_app(ref: str) -> Flask:
    """The Flask app named ``module:attribute`` (an app, or a factory called without args)."""
    with _apps_guard:
        if ref not in _apps:
            module_name, _, attribute = ref.partition(":")
            target = getattr(importlib.import_module(module_name), attribute or "app")
            app = target if isinstance(target, Flask) else target()
            if not isinstance(app, Flask):
                raise TypeError(f"{ref} is not a Flask app or a factory returning one")
            _apps[ref] = app
        return _apps[ref]


def perform(app_ref: str, key: str, oauth_id: str, payload: dict[str, Any]) -> None:
    """The RQ job function: load the app once per worker process, then run the job in it."""
    job = Job(key=key, oauth_id=oauth_id, payload=payload)
    try:
        app = load_app(app_ref)
    except Exception:
        log.exception("background app %r could not be loaded (%s)", app_ref, job.ids())
        return
    perform_in_app(app, job)
