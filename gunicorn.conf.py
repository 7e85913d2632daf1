"""gunicorn settings for serving an add-on (``gunicorn -c gunicorn.conf.py wsgi:app``).

Every value can be overridden from the environment (``GUNICORN_*`` below) or the command line.
Choices and why:
- workers: 2 x CPUs + 1 by default (webhook handlers mostly wait on HipChat's API);
  ``GUNICORN_WORKERS`` overrides. ``gthread`` workers with a few threads each, so one slow API
  call does not stall a worker.
- timeout: HipChat waits about 10 s for a webhook answer and then gives up, so a request running
  far longer is stuck; 30 s kills it. ``graceful_timeout`` lets in-flight webhooks finish.
- access log: the request path without its query string (a ``signed_request`` JWT travels
  there) and no request headers at all (``Authorization: JWT ...``).
- ``preload_app`` is off: each worker imports the app and opens its own database engine and
  Redis pool. If it is turned on, ``post_fork`` disposes the inherited engine so no pooled
  connection is shared between processes.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "").lower() in ("1", "true", "yes")
# The reverse proxy terminates TLS; trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# %(U)s is the path without the query string; no %(r)s, %(q)s or %({header}i) on purpose.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss pid=%(p)s'


def post_fork(server: Any, worker: Any) -> None:
    """With ``preload_app``, drop database connections inherited from the master process."""
    app = getattr(server.app, "callable", None)  # set only when the master loaded the app
    runtime = getattr(app, "extensions", {}).get("addon")
    if runtime is not None:
        # close=False: leave the sockets to the master; this worker opens its own.
        runtime.store.engine.dispose(close=False)
