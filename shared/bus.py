"""The kombu event bus on RabbitMQ: topology, confirmed publishing, and consuming.

Topology is declared in one place: a durable topic exchange for events, a dead-letter
exchange, and per consuming service a durable (quorum) queue bound to the event types
it subscribes to plus its dead-letter queue. Both the relays and the consumers declare
it, so no event is dropped for want of a queue whichever process starts first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding
from kombu.mixins import ConsumerMixin
from kombu.serialization import register as register_serializer
from marshmallow import ValidationError
from psycopg.types.json import set_json_dumps, set_json_loads

from shared import metrics
from shared.contracts.events import CATALOG, Event, dumps, loads, parse_envelope
from shared.contracts.subscriptions import SUBSCRIPTIONS
from shared.logs import correlation

log = logging.getLogger(__name__)

# What `_wait_for_database` returns when the consumer stops before the database answers.
HELD = object()
# Event types a metric may name (anything else a producer invents counts as "unknown").
SUBSCRIBABLE = frozenset(CATALOG)

# The envelope's serializer: orjson, under the content type of JSON, so a consumer of any
# kind (kombu's own "json", Celery, the office systems) reads it as before (issue 19).
SERIALIZER = "orjson"
CONTENT_TYPE = "application/json"


def register_codecs() -> None:
    """Events written with orjson wherever they are written: kombu's `SERIALIZER` (encoder
    only: kombu's reader of application/json stays its own, for Celery's messages) and
    psycopg's json/jsonb (the outbox's rows) both ways. Idempotent; done at import."""
    register_serializer(SERIALIZER, dumps, None, CONTENT_TYPE, "utf-8")
    set_json_dumps(dumps)
    set_json_loads(loads)


register_codecs()

# Redelivery of a message whose handler keeps failing stops here; then it is dead-lettered.
DELIVERY_LIMIT = 5


@dataclass(frozen=True)
class Topology:
    namespace: str = "jobportal"
    quorum: bool = True

    @property
    def exchange(self) -> Exchange:
        return Exchange(f"{self.namespace}.events", "topic", durable=True)

    @property
    def dead_letter_exchange(self) -> Exchange:
        return Exchange(f"{self.namespace}.dead", "topic", durable=True)

    def queue_name(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    def _arguments(self, dead_letter_key: str | None) -> dict:
        args: dict = {}
        if self.quorum:
            args["x-queue-type"] = "quorum"
        if dead_letter_key:
            args["x-dead-letter-exchange"] = self.dead_letter_exchange.name
            args["x-dead-letter-routing-key"] = dead_letter_key
            if self.quorum:
                args["x-delivery-limit"] = DELIVERY_LIMIT
        return args

    def service_queue(self, service: str, routing_keys: Iterable[str] | None = None) -> Queue:
        keys = SUBSCRIPTIONS[service] if routing_keys is None else tuple(routing_keys)
        name = self.queue_name(service)
        return Queue(
            name,
            bindings=[binding(self.exchange, routing_key=key) for key in keys],
            durable=True,
            queue_arguments=self._arguments(f"{name}.dead"),
        )

    def dead_letter_queue(self, service: str) -> Queue:
        name = self.queue_name(service)
        return Queue(
            f"{name}.dlq",
            exchange=self.dead_letter_exchange,
            routing_key=f"{name}.dead",
            durable=True,
            queue_arguments=self._arguments(None),
        )

    def all_queues(self) -> list[Queue]:
        queues = []
        for service in SUBSCRIPTIONS:
            queues += [self.service_queue(service), self.dead_letter_queue(service)]
        return queues

    def declare(self, connection: Connection) -> None:
        """Declare exchanges and every service's queues (idempotent)."""
        channel = connection.default_channel
        self.exchange(channel).declare()
        self.dead_letter_exchange(channel).declare()
        for queue in self.all_queues():
            queue(channel).declare()

    def delete(self, connection: Connection) -> None:
        """Remove this namespace's queues and exchanges (tests clean up with it)."""
        channel = connection.default_channel
        for queue in self.all_queues():
            queue(channel).delete()
        self.exchange(channel).delete()
        self.dead_letter_exchange(channel).delete()


def connect(broker_url: str) -> Connection:
    """A kombu connection whose publishes wait for the broker's confirm."""
    return Connection(
        broker_url,
        transport_options={"confirm_publish": True},
        connect_timeout=5,
        heartbeat=30,
    )


Handler = Callable[[Event], object]


class EventConsumer(ConsumerMixin):
    """Consumes one service queue; one callback validates, dispatches and acks.

    Malformed messages and payloads that fail the handler's schema are dead-lettered at
    once. A database error (PostgreSQL down, restarting, a pool timeout) is transient: the
    message is held and its handler retried in place, with a backoff up to
    `database_pause_max` seconds, until the database answers, so an outage of any length
    never counts toward the quorum queue's delivery limit (the broker is kept alive with
    heartbeats meanwhile). A handler that raises anything else is requeued after a short
    pause, and the delivery limit dead-letters it if it keeps failing. Unknown event types
    are acknowledged and ignored. `heartbeat` beats while the consumer works or waits, for
    its liveness probe.
    """

    def __init__(
        self,
        connection: Connection,
        topology: Topology,
        service: str,
        handlers: dict[str, Handler],
        prefetch: int = 20,
        retry_pause: float = 0.5,
        database_pause_max: float = 5.0,
    ):
        import threading

        from shared.probes import Heartbeat

        self.connection = connection
        self.topology = topology
        self.service = service
        self.handlers = handlers
        self.prefetch = prefetch
        self.retry_pause = retry_pause
        self.database_pause_max = database_pause_max
        self.handled = 0
        self.database_waits = 0
        self.heartbeat = Heartbeat()
        self.stopping = threading.Event()

    @staticmethod
    def is_database_error(exc: BaseException) -> bool:
        """PostgreSQL unreachable or the transaction rolled back by the server: transient."""
        import psycopg
        import psycopg_pool

        return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError
                          | psycopg_pool.PoolTimeout)

    def get_consumers(self, Consumer, channel):  # noqa: N803 - kombu's signature
        self.topology.declare(self.connection)
        consumer = Consumer(
            queues=[self.topology.service_queue(self.service)],
            on_message=self.on_raw_message,  # decoded here, with orjson
            accept=["json"],
            on_decode_error=self.on_decode_error,
        )
        consumer.qos(prefetch_count=self.prefetch)
        return [consumer]

    def on_iteration(self) -> None:
        self.heartbeat.beat()

    def on_connection_error(self, exc, interval) -> None:
        self.heartbeat.beat()  # reconnecting to the broker is work, not a stuck loop
        super().on_connection_error(exc, interval)

    def on_decode_error(self, message, exc) -> None:
        log.warning("undecodable message dead-lettered", extra={"error": str(exc)[:200]})
        self._count("undecodable", "dead_lettered")
        message.reject(requeue=False)

    def on_raw_message(self, message) -> None:
        """A message as the broker gave it: JSON only (what kombu's `accept=["json"]`
        lets through), read with orjson, then `on_message`; anything else dead-lettered."""
        if message.content_type != CONTENT_TYPE:
            self.on_decode_error(message, ValueError(
                f"refused content type {message.content_type!r}"))
            return
        try:
            body = loads(message.body)
        except (ValueError, RecursionError) as exc:  # json's errors are ValueErrors
            self.on_decode_error(message, exc)
            return
        self.on_message(body, message)

    def _keep_broker_alive(self) -> None:
        """Tell the broker this connection lives while a message is held (no frames are read
        meanwhile, so a missed heartbeat would make it close the channel and redeliver)."""
        try:
            transport_connection = self.connection.connection
            send = getattr(transport_connection, "send_heartbeat", None)
            if send is not None:
                send()
        except Exception:  # noqa: BLE001 - a broken link is found by the next drain
            pass

    def _wait_for_database(self, event: Event, handler: Handler, exc: Exception):
        """Retry `handler` in place until the database answers and return what it returned;
        HELD if stopping first."""
        pause = self.retry_pause
        log.warning("database unavailable; event held until it answers",
                    extra={"event_type": event.type, "event_id": str(event.event_id),
                           "error": str(exc)[:200]})
        while not (self.should_stop or self.stopping.is_set()):
            self.database_waits += 1
            waited = 0.0
            while waited < pause and not (self.should_stop or self.stopping.is_set()):
                step = min(1.0, pause - waited)
                time.sleep(step)
                waited += step
                self.heartbeat.beat()
                self._keep_broker_alive()
            if self.should_stop or self.stopping.is_set():
                break
            try:
                return handler(event)
            except Exception as again:
                if not self.is_database_error(again):
                    raise
            pause = min(pause * 2, self.database_pause_max)
        return HELD

    def _count(self, event_type: str, outcome: str) -> None:
        metrics.CONSUMER_EVENTS.labels(self.service, event_type, outcome).inc()

    def on_message(self, body, message) -> None:
        redelivered = bool(message.delivery_info.get("redelivered"))
        try:
            event = parse_envelope(body)
        except ValidationError as exc:
            log.warning("malformed envelope dead-lettered", extra={"errors": exc.messages})
            self._count("malformed", "dead_lettered")
            message.reject(requeue=False)
            return
        if redelivered:
            metrics.CONSUMER_REDELIVERIES.labels(
                self.service, event.type if event.type in SUBSCRIBABLE else "unknown").inc()
        handler = self.handlers.get(event.type)
        if handler is None:
            self._count(event.type if event.type in SUBSCRIBABLE else "unknown", "ignored")
            message.ack()
            return
        started = time.perf_counter()
        with correlation(event.correlation_id):
            try:
                try:
                    applied = handler(event)
                except Exception as exc:
                    if not self.is_database_error(exc):
                        raise
                    applied = self._wait_for_database(event, handler, exc)
                    if applied is HELD:
                        # Stopping with the database still down: the message goes back
                        # once (the channel closes), never dead-lettered for it.
                        self._count(event.type, "held")
                        message.requeue()
                        return
                    log.info("database back; held event handled",
                             extra={"event_type": event.type, "event_id": str(event.event_id)})
            except ValidationError as exc:
                log.warning(
                    "malformed event dead-lettered",
                    extra={"event_type": event.type, "event_id": str(event.event_id),
                           "errors": exc.messages},
                )
                self._count(event.type, "dead_lettered")
                message.reject(requeue=False)
                return
            except Exception:
                log.exception(
                    "event handler failed; requeued",
                    extra={"event_type": event.type, "event_id": str(event.event_id)},
                )
                self._count(event.type, "failed")
                time.sleep(self.retry_pause)
                message.requeue()
                return
            message.ack()
            self.handled += 1
            # a registry's handler says False for an event its inbox had already seen
            self._count(event.type, "duplicate" if applied is False else "handled")
            metrics.CONSUMER_SECONDS.labels(self.service, event.type).observe(
                time.perf_counter() - started)
            log.info("event handled", extra={"event_type": event.type,
                                             "event_id": str(event.event_id)})
