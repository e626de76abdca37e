"""granian with the settings deploy/gunicorn.conf.py gives gunicorn, for the HTTP services.

`python deploy/granian_server.py --bind HOST:PORT registration.wsgi:app` (scripts/serve runs
it when HTTP_SERVER=granian). What gunicorn did beyond serving, and how it is kept here:

- WEB_CONCURRENCY worker processes × WEB_THREADS threads: granian's workers and its WSGI
  blocking threads. Each worker is forked before the application is imported, so every
  worker makes its own pool (no preload, as in gunicorn).
- /metrics adds up every worker (prometheus_client's multiprocess mode): a fresh
  PROMETHEUS_MULTIPROC_DIR per master, set before a worker imports prometheus_client. The
  services keep only histograms there, which need no `mark_process_dead` when a worker dies
  (that only drops the live gauges' files), so granian's lack of a child-exit hook loses
  nothing.
- Its own lines are JSON on stderr; no access log (shared.web.access writes it).
- The Server header says "jobportal", never the server's name or version.
- granian copies the whole process environment into every request's WSGI environ (secrets
  such as DATABASE_URL, and any HTTP_* variable would read as a request header): the
  process's variables are removed from each request's environ before the application sees
  it.
- SIGTERM: stop accepting, finish the requests in flight, stop the workers within
  GRACEFUL_TIMEOUT seconds (gunicorn's graceful_timeout); a worker that dies is replaced.
- Oversized request heads are refused before the application (MAX_HEAD).
- REMOTE_ADDR is the peer's address; X-Forwarded-For is the application's business
  (shared.web.addresses, TRUSTED_PROXIES), as under gunicorn.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

# A request's line and headers at most (granian's read buffer, 400 KiB by default): larger
# ones are refused with 431 before the application, as gunicorn refused a header over 8 KiB.
MAX_HEAD = 16 * 1024
# The WSGI/CGI names granian puts in the environ itself, which must stay.
OWN_KEYS = {"GATEWAY_INTERFACE", "SCRIPT_NAME", "SERVER_SOFTWARE"}


def log_config(level: str) -> dict[str, Any]:
    """The same JSON lines as gunicorn's (deploy/gunicorn.conf.py), for granian's logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": "granian"},
        }},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                 "stream": "ext://sys.stderr"},
                     "access": {"class": "logging.NullHandler"}},
        "loggers": {"_granian": {"level": level.upper(), "handlers": ["console"],
                                 "propagate": False},
                    "granian.access": {"handlers": ["access"], "propagate": False}},
    }


def hardened(app: WSGIApp, process_keys: Iterable[str]) -> WSGIApp:
    """`app` without the process's variables in its environ and with our Server header."""
    leaked = tuple(k for k in process_keys if k not in OWN_KEYS)

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        for key in leaked:
            environ.pop(key, None)

        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            headers.append(("Server", "jobportal"))
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return serve


def load(target: str) -> WSGIApp:
    """Import `module:attribute` in the worker (after the fork) and harden it."""
    from granian._internal import load_target

    return hardened(load_target(target), list(os.environ))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deploy/granian_server.py", description=__doc__)
    parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
    parser.add_argument("target", help="module:attribute of the WSGI application")
    args = parser.parse_args(argv)
    host, _, port = args.bind.rpartition(":")

    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="jobportal-metrics-"))
    level = os.environ.get("LOG_LEVEL", "info").lower()
    threads = int(os.environ.get("WEB_THREADS", "4"))
    server = Granian(
        args.target, address=host, port=int(port), interface=Interfaces.WSGI,
        http=HTTPModes.http1, websockets=False,
        workers=int(os.environ.get("WEB_CONCURRENCY", "2")), blocking_threads=threads,
        http1_settings=HTTP1Settings(header_read_timeout=30_000, max_buffer_size=MAX_HEAD),
        log_level=LogLevels(level), log_dictconfig=log_config(level), log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=int(os.environ.get("GRACEFUL_TIMEOUT", "10")),
    )
    server.serve(target_loader=load)


if __name__ == "__main__":
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # deploy/ is not a package
    main()
