"""gunicorn settings for HTTP_SERVER=gunicorn (scripts/serve, development only): the server
granian replaced (deploy/granian_server.py; bench/levers/http-server.md), kept for A/B runs.
Override with GUNICORN_CMD_ARGS."""

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
# The application writes the access log itself (shared.web.access: route, status, duration,
# correlation id, masked client), so gunicorn's own is off; gunicorn's lines are JSON too.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        "static_fields": {"service": "gunicorn"},
    }},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                             "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"],
                                   "propagate": False}},
}
# The pool is created per worker by create_app; never preload (sockets must not be shared).
preload_app = False

# /metrics adds up every worker's counters (prometheus_client's multiprocess mode): each
# master gets a fresh directory, set before the workers import prometheus_client.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="jobportal-metrics-"))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
