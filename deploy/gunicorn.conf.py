"""gunicorn settings shared by every HTTP service (override with GUNICORN_CMD_ARGS)."""

import os
import tempfile

import gunicorn

# No server name or version in the Server header.
gunicorn.SERVER = "jobportal"

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The pool is created per worker by create_app; never preload (sockets must not be shared).
preload_app = False

# /metrics adds up every worker's counters (prometheus_client's multiprocess mode): each
# master gets a fresh directory, set before the workers import prometheus_client.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="jobportal-metrics-"))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
