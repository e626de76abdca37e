"""Running long-lived processes (relays, consumers) until SIGTERM or SIGINT, each with its
/healthz, /readyz and /metrics port (shared.probes)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping

from prometheus_client import REGISTRY

from shared import probes
from shared.bus import Topology
from shared.clock import Clock
from shared.metrics import OutboxCollector, QueueCollector
from shared.outbox import Relay

log = logging.getLogger(__name__)


# A process's service name (the `service` label) -> its key in the contract's subscriptions.
SERVICES = {"code-issuer": "code_issuer", "registration": "registration", "notifier": "notifier"}
_registered: set[tuple[str, str]] = set()


def register_once(collector) -> None:
    """Add a scrape-time collector to the process's registry (once per kind and service:
    tests run several relays in one process)."""
    key = (type(collector).__name__, getattr(collector, "service", ""))
    if key not in _registered:
        _registered.add(key)
        REGISTRY.register(collector)


def stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_relay(dsn: str, broker_url: str, namespace: str, quorum: bool, clock: Clock,
              name: str, process: str | None = None, extra_queues: tuple = (),
              poll_interval: float = 1.0) -> None:
    """Publish the outbox until a signal. `process` (e.g. `registration-relay`) picks the
    probes' default port; by default the part of `name` before any ':'. Its /metrics also
    tells the depth of the service's queue, of `extra_queues` and of its dead letters.
    `poll_interval` is OUTBOX_POLL_INTERVAL: its longest wait without a NOTIFY."""
    process = process or name.split(":", 1)[0]
    service = process.removesuffix("-relay")
    relay = Relay(dsn, broker_url, Topology(namespace, quorum), clock, name=name, service=service,
                  poll_interval=poll_interval)
    register_once(QueueCollector(broker_url, Topology(namespace, quorum), service,
                                 SERVICES[service], extra_queues))
    stop_on_signals(relay.stopping)
    heartbeat = probes.Heartbeat()
    publish_batch = relay.run_once

    def run_once() -> int:  # the relay's loop turns at least every few seconds
        heartbeat.beat()
        return publish_batch()

    relay.run_once = run_once  # type: ignore[method-assign]
    server = probes.serve(process, {"database": probes.database_url(dsn)}, heartbeat)
    probes.watch_broker(broker_url)
    log.info("outbox relay started", extra={"relay": name, "poll_interval": poll_interval})
    try:
        relay.run()
    finally:
        if server is not None:
            server.close()
    log.info("outbox relay stopped", extra={"relay": name, "published": relay.published})


def run_consumer(consumer, process: str | None = None,
                 checks: Mapping[str, probes.Check] | None = None,
                 outbox: OutboxCollector | None = None) -> None:
    """Run a kombu ConsumerMixin until a signal; it reconnects by itself on broker loss.

    With `process` (e.g. `notifier-consumer`) its probes are served: liveness from the
    consumer's heartbeat, readiness from `checks` (its database), and /metrics with
    `outbox` (the service's backlog) among them."""

    def handler(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        consumer.should_stop = True
        stopping = getattr(consumer, "stopping", None)
        if stopping is not None:
            stopping.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    server = None
    if outbox is not None:  # the service's backlog, seen while its relay is down
        register_once(outbox)
    if process:
        server = probes.serve(process, checks or {}, getattr(consumer, "heartbeat", None))
        broker_url = getattr(getattr(consumer, "connection", None), "as_uri", None)
        if broker_url is not None:
            probes.watch_broker(consumer.connection.as_uri(include_password=True))
    try:
        consumer.run()
    finally:
        if server is not None:
            server.close()
