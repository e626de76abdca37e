"""gunicorn settings shared by every HTTP service (override with GUNICORN_CMD_ARGS)."""

import os

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
