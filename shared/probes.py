"""/healthz, /readyz and /metrics for the processes that serve no HTTP of their own.

Relays, consumers, the Celery worker and beat each start one `ProbeServer` on a small port
of their own (`HEALTH_PORT`, a default per process: docs/CONVENTIONS.md), which the
Kubernetes probes and Prometheus call:

- `/healthz` (liveness): 200 while the process's main loop beats (`Heartbeat`), 503 once it
  has been silent longer than its limit: the process is stuck and must be restarted;
- `/readyz` (readiness): 200 when every check passes (the process's database), else 503 with
  the failing check named. The broker is never a readiness check: an outage is waited out
  by the outbox and the consumers, and is shown by the `jobportal_broker_up` gauge
  (`BrokerWatch`) and a log line when it changes;
- `/metrics`: the process's Prometheus registry (prometheus_client's default one unless
  another is given), plus whatever collectors the process registers.

The server runs in a daemon thread and never stops the process: a port already taken (two
processes of the same kind on one development machine) is logged and left unprobed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

Check = Callable[[], None]

# Default ports of the non-HTTP processes (docs/CONVENTIONS.md); HEALTH_PORT overrides the
# port of one process (0: no server), HEALTH_HOST the address (127.0.0.1 by default; 0.0.0.0
# in containers, where the kubelet probes the pod's own address).
DEFAULT_PORTS = {
    "notifier-worker": 8003,
    "code-issuer-relay": 9101,
    "code-issuer-consumer": 9102,
    "registration-relay": 9111,
    "registration-consumer": 9112,
    "notifier-relay": 9121,
    "notifier-consumer": 9122,
    "notifier-beat": 9123,
}

BROKER_UP = Gauge(
    "jobportal_broker_up",
    "1 when this process reached the message broker at its last check, else 0",
    multiprocess_mode="livemostrecent",
)


class Heartbeat:
    """The main loop's pulse: `beat()` in every iteration, `alive()` for the liveness probe."""

    def __init__(self, limit_seconds: float = 120.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit_seconds
        self.clock = clock
        self.last = clock()

    def beat(self) -> None:
        self.last = self.clock()

    def age(self) -> float:
        return self.clock() - self.last

    def alive(self) -> bool:
        return self.age() <= self.limit


def run_checks(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    ready = True
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - report, never raise
            ready = False
            results[name] = f"unavailable: {type(exc).__name__}"
    return ready, results


def make_handler(process: str, checks: Mapping[str, Check], heartbeat: Heartbeat | None,
                 registry: CollectorRegistry):
    class Handler(BaseHTTPRequestHandler):
        server_version = "jobportal"
        sys_version = ""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                if heartbeat is None or heartbeat.alive():
                    self._json(200, {"status": "ok", "process": process})
                else:
                    self._json(503, {"status": "stuck", "process": process,
                                     "silent_seconds": round(heartbeat.age(), 1)})
            elif path == "/readyz":
                ready, results = run_checks(checks)
                self._json(200 if ready else 503,
                           {"status": "ok" if ready else "unavailable", "checks": results})
            elif path == "/metrics":
                try:
                    self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                except Exception:  # noqa: BLE001 - a collector's database is down: say so
                    log.warning("metrics unavailable", exc_info=True)
                    self._send(503, b"# metrics unavailable\n", "text/plain")
            else:
                self._json(404, {"error": "not found"})

        def log_message(self, *_args) -> None:
            pass  # probes every few seconds would drown the process's log

    return Handler


class ProbeServer:
    """The three endpoints of one process, served from a daemon thread."""

    def __init__(self, process: str, host: str, port: int, checks: Mapping[str, Check],
                 heartbeat: Heartbeat | None = None, registry: CollectorRegistry = REGISTRY):
        self.process = process
        self.httpd = ThreadingHTTPServer((host, port),
                                         make_handler(process, checks, heartbeat, registry))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       name=f"probes-{process}")

    def start(self) -> ProbeServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def address(process: str, environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """(host, port) of a process's probes from HEALTH_HOST / HEALTH_PORT or the defaults."""
    env = os.environ if environ is None else environ
    host = env.get("HEALTH_HOST") or "127.0.0.1"
    raw = env.get("HEALTH_PORT")
    try:
        port = int(raw) if raw not in (None, "") else DEFAULT_PORTS[process]
    except ValueError:
        raise ValueError(f"HEALTH_PORT must be an integer, got {raw!r}") from None
    return host, port


def serve(process: str, checks: Mapping[str, Check], heartbeat: Heartbeat | None = None,
          registry: CollectorRegistry = REGISTRY, environ: Mapping[str, str] | None = None,
          host: str | None = None, port: int | None = None) -> ProbeServer | None:
    """Start a process's probes; None when disabled (port 0) or the port is taken."""
    default_host, default_port = address(process, environ)
    host = default_host if host is None else host
    port = default_port if port is None else port
    if not port:
        return None
    try:
        server = ProbeServer(process, host, port, checks, heartbeat, registry).start()
    except OSError as exc:
        log.warning("health endpoints not started", extra={
            "probe": process, "port": port, "error": str(exc)[:200]})
        return None
    log.info("health endpoints listening", extra={"probe": process, "host": host,
                                                  "port": server.port})
    return server


# --- checks ----------------------------------------------------------------------------
def database(pool) -> Check:
    """The database answers a query through the process's pool (psycopg_pool)."""

    def check() -> None:
        with pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")

    return check


def database_url(dsn: str) -> Check:
    """The database accepts a new connection (for processes without a pool: relays)."""

    def check() -> None:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")

    return check


def broker_reachable(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)


class BrokerWatch:
    """The broker's state as a gauge and a log line on each change, never a readiness check.

    A daemon thread checks every `interval` seconds; one watch per process and broker URL
    (`watch_broker`), however many apps the process builds.
    """

    def __init__(self, url: str, interval: float = 10.0,
                 check: Callable[[str], None] = broker_reachable):
        self.url = url
        self.interval = interval
        self.check = check
        self.up: bool | None = None
        self.stopping = threading.Event()

    def once(self) -> bool:
        try:
            self.check(self.url)
            up = True
        except Exception as exc:  # noqa: BLE001 - any failure means unreachable
            up = False
            error = str(exc)[:200]
        BROKER_UP.set(1 if up else 0)
        if up != self.up:
            if up:
                log.info("message broker reachable")
            else:
                log.warning("message broker unreachable; events and mails wait in the outbox",
                            extra={"error": error})
        self.up = up
        return up

    def run(self) -> None:
        while not self.stopping.is_set():
            self.once()
            self.stopping.wait(self.interval)

    def start(self) -> BrokerWatch:
        threading.Thread(target=self.run, daemon=True, name="broker-watch").start()
        return self


_watches: dict[tuple[int, str], BrokerWatch] = {}
_watches_lock = threading.Lock()


def watch_broker(url: str, interval: float = 10.0) -> BrokerWatch:
    """The process's watch of `url`, started on first call (after a fork: anew)."""
    key = (os.getpid(), url)
    with _watches_lock:
        if key not in _watches:
            _watches[key] = BrokerWatch(url, interval).start()
        return _watches[key]
