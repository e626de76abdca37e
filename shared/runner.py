"""Running long-lived processes (relays, consumers) until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading

from shared.bus import Topology
from shared.clock import Clock
from shared.outbox import Relay

log = logging.getLogger(__name__)


def stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_relay(dsn: str, broker_url: str, namespace: str, quorum: bool, clock: Clock,
              name: str) -> None:
    relay = Relay(dsn, broker_url, Topology(namespace, quorum), clock, name=name)
    stop_on_signals(relay.stopping)
    log.info("outbox relay started", extra={"relay": name})
    relay.run()
    log.info("outbox relay stopped", extra={"relay": name, "published": relay.published})


def run_consumer(consumer) -> None:
    """Run a kombu ConsumerMixin until a signal; it reconnects by itself on broker loss."""

    def handler(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        consumer.should_stop = True

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    consumer.run()
