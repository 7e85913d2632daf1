"""gunicorn settings of the benchmarks: passed with ``-c`` so that the repository's own
gunicorn.conf.py (gthread workers, threads, an access log) does not apply; the command line
sets workers, worker class and bind."""

from __future__ import annotations

worker_class = "sync"
threads = 1
accesslog = None
loglevel = "warning"
preload_app = False
