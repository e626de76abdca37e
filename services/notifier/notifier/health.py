"""/healthz, /readyz and /metrics of a notifier worker, served from its main process.

The worker's mail and timer work happens in prefork children, so the metrics are read from
the notifier's own tables at scrape time (what an operator watches: mails sent, failed or
waiting, timers due, the outbox backlog) rather than counted in one process's memory.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from psycopg_pool import ConnectionPool

from notifier.config import Config
from shared import health
from shared.db import make_pool

log = logging.getLogger(__name__)


class TableCollector:
    """Gauges computed from the notifier's tables on every scrape."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def collect(self):
        with self.pool.connection(timeout=2) as conn:
            deliveries = conn.execute(
                "SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
            timers = conn.execute(
                "SELECT kind, count(*) FROM timers WHERE fired_at IS NULL "
                "AND cancelled_at IS NULL AND due_at IS NOT NULL GROUP BY kind").fetchall()
            backlog = conn.execute(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
        mails = GaugeMetricFamily("notifier_deliveries", "Auth-key mails by status",
                                  labels=["status"])
        for status, count in deliveries:
            mails.add_metric([status], count)
        pending = GaugeMetricFamily("notifier_timers_pending", "Timers not yet fired",
                                    labels=["kind"])
        for kind, count in timers:
            pending.add_metric([kind], count)
        yield mails
        yield pending
        yield GaugeMetricFamily("notifier_outbox_unpublished", "Events waiting for the relay",
                                value=backlog)


def make_handler(config: Config, pool: ConnectionPool, registry: CollectorRegistry):
    checks = {"database": health.database(pool), "broker": health.broker(config.broker_url)}

    class Handler(BaseHTTPRequestHandler):
        server_version = "notifier"
        sys_version = ""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path == "/healthz":
                self._send(200, b'{"status": "ok"}', "application/json")
            elif self.path == "/readyz":
                results, ready = {}, True
                for name, check in checks.items():
                    try:
                        check()
                        results[name] = "ok"
                    except Exception as exc:  # noqa: BLE001 - report, never raise
                        ready = False
                        results[name] = f"unavailable: {type(exc).__name__}"
                body = {"status": "ok" if ready else "unavailable", "checks": results}
                self._send(200 if ready else 503, json.dumps(body).encode(), "application/json")
            elif self.path == "/metrics":
                try:
                    self._send(200, generate_latest(registry), "text/plain; version=0.0.4")
                except Exception:  # noqa: BLE001 - database down: say so, keep serving
                    self._send(503, b"# database unavailable\n", "text/plain")
            else:
                self._send(404, b'{"error": "not found"}', "application/json")

        def log_message(self, *_args) -> None:
            pass  # probes every few seconds would drown the worker's log

    return Handler


def serve(config: Config) -> ThreadingHTTPServer | None:
    """Start the endpoints in a daemon thread; None when disabled (port 0)."""
    if not config.health_port:
        return None
    pool = make_pool(config.database_url, min_size=0, max_size=2, name="notifier-health")
    registry = CollectorRegistry()
    registry.register(TableCollector(pool))
    server = ThreadingHTTPServer((config.health_host, config.health_port),
                                 make_handler(config, pool, registry))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="health").start()
    log.info("health endpoints listening", extra={"port": config.health_port})
    return server
