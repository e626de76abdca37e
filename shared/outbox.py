"""The transactional outbox: events and Celery tasks written with the change that causes them.

`add_event` and `add_task` take the caller's connection and never commit. The relay
(`Relay`) publishes unpublished rows in id order with publisher confirms and marks them
sent; rows are claimed with FOR UPDATE SKIP LOCKED so several relays never publish the
same row at once. A task row's arguments (which may hold a secret such as the plain auth
key) are scrubbed once the broker confirmed the message.

How a committed row wakes the relay is OUTBOX_WAKE (shared.config.OutboxSettings): with
`notify` every writing transaction sends NOTIFY, whose commit PostgreSQL serialises on one
lock across the cluster; with `notify-if-empty` only a transaction that saw no announced row
waiting does (a row waiting means a relay was woken for it or is draining it; the relay
keeps looking until a look finds nothing, and its poll bounds the rare row that commits
just after that last look); with `poll` nobody does. Whatever the mode, the relay LISTENs
and polls every OUTBOX_POLL_INTERVAL, so processes of different modes work together (a
rolling change of the setting loses nothing). Each writer is one statement whatever the
mode: the insert, and the notification in the same statement.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import psycopg
from celery import Celery
from kombu import Connection as BrokerConnection
from kombu import Exchange, Producer, Queue
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from shared import metrics
from shared.bus import SERIALIZER, Topology
from shared.clock import Clock
from shared.config import NOTIFY, NOTIFY_IF_EMPTY, OUTBOX_WAKES, POLL, ConfigError, OutboxSettings
from shared.contracts import tasks
from shared.contracts.events import Event

log = logging.getLogger(__name__)
CHANNEL = "outbox"
# Rows of add_quiet_events carry this header: they were announced to no relay, so a writer
# in `notify-if-empty` mode does not count them as a reason to keep quiet itself.
QUIET = "quiet"
_INSERT = ("INSERT INTO outbox (message_id, kind, destination, body, headers, created_at) "
           "VALUES (%s, %s, %s, %s, %s, %s)")
# The statement's snapshot does not see its own insert: "waiting" means rows committed
# before it (or written earlier in the same transaction, which notified already).
_ANNOUNCED_ROW_WAITS = (f"EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL "
                        f"AND NOT headers ? '{QUIET}')")
_WAKE_SUFFIX = {
    NOTIFY: f"SELECT pg_notify('{CHANNEL}', '')",
    NOTIFY_IF_EMPTY: f"SELECT pg_notify('{CHANNEL}', '') WHERE NOT {_ANNOUNCED_ROW_WAITS}",
}
_wake: str | None = None


def wake_mode() -> str:
    """This process's OUTBOX_WAKE, read from the environment on first use (the writers are
    called deep in use cases that hold no Config; the service's Config checked the same
    variable when the process started)."""
    global _wake
    if _wake is None:
        _wake = OutboxSettings.from_env().outbox_wake
    return _wake


def set_wake_mode(mode: str) -> None:
    """Set this process's wake mode (tests; a process reads OUTBOX_WAKE by itself)."""
    global _wake
    if mode not in OUTBOX_WAKES:
        raise ConfigError(f"OUTBOX_WAKE must be one of {', '.join(OUTBOX_WAKES)}, got {mode!r}")
    _wake = mode


def _with_wake(insert: str, wake: str | None) -> str:
    """`insert` and, in the same statement, the NOTIFY the wake mode asks for."""
    mode = wake or wake_mode()
    if mode == POLL:
        return insert
    return f"WITH queued AS ({insert}) {_WAKE_SUFFIX[mode]}"


def add_event(conn: Connection, event: Event, *, wake: str | None = None) -> None:
    """Queue an event for publication in the caller's transaction (`wake`: this process's
    OUTBOX_WAKE unless given)."""
    conn.execute(
        _with_wake(_INSERT, wake),
        (event.event_id, "event", event.type, Jsonb(event.to_message()), Jsonb({}),
         event.occurred_at),
    )


def add_quiet_events(conn: Connection, events: list[Event], *, keep: bool = True) -> None:
    """Queue events with one statement and no NOTIFY (the relay's poll finds them within
    OUTBOX_POLL_INTERVAL), for a caller whose answer time must not tell whether it wrote
    anything (R5's step 2): such a caller sends a decoy with keep=False when it has nothing
    to say, and the statement does the same work but the insert."""
    conn.execute(
        "INSERT INTO outbox (message_id, kind, destination, body, headers, created_at) "
        "SELECT message_id, 'event', destination, body, %s, created_at FROM "
        "unnest(%s::uuid[], %s::text[], %s::jsonb[], %s::timestamptz[]) "
        "AS e (message_id, destination, body, created_at) WHERE %s",
        (Jsonb({QUIET: True}), [e.event_id for e in events], [e.type for e in events],
         [Jsonb(e.to_message()) for e in events], [e.occurred_at for e in events], keep),
    )


def add_task(
    conn: Connection,
    *,
    task: str,
    kwargs: dict[str, Any],
    namespace: str,
    now: datetime,
    correlation_id: str | None = None,
    task_id: uuid.UUID | None = None,
    wake: str | None = None,
) -> uuid.UUID:
    """Queue a Celery task of the contract (shared.contracts.tasks) in the caller's
    transaction, to the contract's queue; its arguments are checked strictly first
    (ValidationError: a producer never sends a bad task)."""
    tasks.check_arguments(task, kwargs)
    task_id = task_id or uuid.uuid4()
    conn.execute(
        _with_wake(_INSERT, wake),
        (
            task_id,
            "task",
            tasks.queue_name(namespace, tasks.TASKS[task].queue),
            Jsonb({"task": task, "kwargs": kwargs}),
            Jsonb({"correlation_id": correlation_id}),
            now,
        ),
    )
    return task_id


def add_decoy_task(conn: Connection, *, wake: str | None = None) -> None:
    """What `add_task` costs (its one statement, with the same wake-up), writing nothing:
    for a caller whose answer without a mail must take as long as the one with a mail."""
    conn.execute(
        _with_wake("INSERT INTO outbox (message_id, kind, destination, body, headers, "
                   "created_at) SELECT gen_random_uuid(), 'task', '', '{}', '{}', now() "
                   "WHERE false", wake))


def task_queue(name: str) -> Queue:
    """A Celery task queue, declared identically by the relays and by Celery itself
    (notifier.celery_app): a durable quorum queue, replicated across a RabbitMQ cluster,
    behind a durable topic exchange of the same name (topic, not direct: Celery's native
    delayed delivery routes a retry's countdown back through it). No delivery limit: a mail
    task whose worker died is redelivered until it ran (the task is idempotent)."""
    return Queue(name, Exchange(name, "topic", durable=True), routing_key=name, durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def legacy_task_queue(name: str) -> Queue:
    """The classic queue behind a direct exchange that versions before the quorum queues
    declared, used as found on a broker that still holds it and never redeclared."""
    return Queue(name, Exchange(name, "direct", durable=True), routing_key=name, durable=True,
                 no_declare=True)


def declare_task_queue(connection: BrokerConnection, name: str) -> Queue:
    """Declare `task_queue(name)` on a channel of its own and return it; where the broker
    already holds a classic queue or direct exchange of that name from an earlier version
    (RabbitMQ refuses the redeclaration: PRECONDITION_FAILED), return `legacy_task_queue`
    instead, so start-up does not fail, and log how to move to the quorum queue."""
    from amqp.exceptions import PreconditionFailed

    queue = task_queue(name)
    channel = connection.channel()
    try:
        queue(channel).declare()
        return queue
    except PreconditionFailed as exc:
        log.warning(
            "task queue %s exists as a classic queue (or behind a direct exchange) from an "
            "earlier version: used as it is. To move to the quorum queue, stop the producers "
            "and workers, let it drain, then `rabbitmqctl delete_queue %s` and "
            "`rabbitmqadmin delete exchange name=%s` and start again", name, name, name,
            extra={"queue": name, "error": str(exc)[:200]})
        return legacy_task_queue(name)
    finally:
        try:
            channel.close()
        except Exception:  # noqa: BLE001 - the broker closed it already (precondition)
            pass


_CELERY = Celery("outbox-relay", set_as_current=False)


def celery_message(row: dict) -> tuple[tuple, dict, dict]:
    """Body, headers and properties of the Celery message (protocol 2, Celery's own
    format, made by Celery's own `as_task_v2`) for an outbox task row."""
    task_id = str(row["message_id"])
    message = _CELERY.amqp.as_task_v2(
        task_id, row["body"]["task"], args=(), kwargs=row["body"]["kwargs"],
        argsrepr="()", kwargsrepr="{...}",  # the arguments may hold a secret: never logged
        origin="outbox-relay", ignore_result=True)
    # Celery keeps the message's own correlation_id for the task id; the request's
    # correlation id travels in a header of its own (task.request.origin_correlation_id).
    headers = {**message.headers,
               "origin_correlation_id": (row["headers"] or {}).get("correlation_id")}
    return message.body, headers, message.properties


class _Confirms:
    """Publisher confirms of one channel in confirm mode: delivery tags count from 1."""

    def __init__(self) -> None:
        self.sent = 0
        self.upto = 0  # every tag up to this one is confirmed
        self.single: set[int] = set()
        self.nacked = False

    def ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self.upto = max(self.upto, tag)
        else:
            self.single.add(tag)
        while self.upto + 1 in self.single:
            self.upto += 1
            self.single.discard(self.upto)

    def nack(self, tag: int, multiple: bool) -> None:
        self.nacked = True

    def all_confirmed(self) -> bool:
        if self.nacked:
            raise RuntimeError("the broker refused a message; the batch stays unpublished")
        return self.upto >= self.sent


class Relay:
    """Publishes a service's outbox; run several at once safely. Between looks that find
    nothing it waits for a NOTIFY on the outbox channel, at most `poll_interval` seconds
    (OUTBOX_POLL_INTERVAL): a row written without a NOTIFY waits at most that, plus the
    look it just missed and the look that publishes it."""

    def __init__(
        self,
        dsn: str,
        broker_url: str,
        topology: Topology,
        clock: Clock,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        name: str = "relay",
        service: str | None = None,
    ):
        self.dsn = dsn
        # the `service` label of the relay's metrics: by default its name's first part
        self.service = service or name.split(":", 1)[0].removesuffix("-relay")
        self.broker_url = broker_url
        self.topology = topology
        self.clock = clock
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.name = name
        self.stopping = threading.Event()
        self.published = 0
        self._broker: BrokerConnection | None = None
        self._producer: Producer | None = None
        self._declared_queues: dict[str, Queue] = {}
        self._db: Connection | None = None
        self._confirms: _Confirms | None = _Confirms()

    # --- broker side -------------------------------------------------------------
    def _ensure_broker(self) -> Producer:
        if self._producer is None:
            # Publisher confirms, awaited once per batch (`_await_confirms`) rather than once
            # per message as `connect()`'s confirm_publish does: a batch's rows are marked
            # sent only after the broker confirmed every one of them, as before.
            self._broker = BrokerConnection(self.broker_url, connect_timeout=5, heartbeat=30)
            self._broker.ensure_connection(max_retries=1)
            self.topology.declare(self._broker)
            self._declared_queues = {}
            channel = self._broker.default_channel
            if self._broker.transport.driver_type == "amqp":
                channel.confirm_select()
                self._confirms = _Confirms()
                channel.events["basic_ack"].add(self._confirms.ack)
                channel.events["basic_nack"].add(self._confirms.nack)
            else:  # e.g. Redis: no publisher confirms; a publish returns once written
                self._confirms = None
            self._producer = Producer(channel, serializer="json")
        return self._producer

    def _count_sent(self) -> None:
        if self._confirms is not None:
            self._confirms.sent += 1

    def _await_confirms(self, timeout: float = 30.0) -> None:
        """Until the broker confirmed everything published so far; raises on a nack."""
        if self._confirms is None:
            return
        deadline = time.monotonic() + timeout
        while not self._confirms.all_confirmed():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the broker did not confirm the batch in time")
            self._broker.drain_events(timeout=left)

    def _drop_broker(self) -> None:
        if self._broker is not None:
            try:
                self._broker.release()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._broker = self._producer = None

    def _publish(self, producer: Producer, row: dict) -> None:
        if row["kind"] == "event":
            body = row["body"]
            producer.publish(
                body,
                exchange=self.topology.exchange,
                routing_key=row["destination"],
                delivery_mode=2,
                serializer=SERIALIZER,  # orjson, as application/json
                message_id=str(row["message_id"]),
                correlation_id=body.get("correlation_id"),
                type=body.get("type"),
            )
            self._count_sent()
            return
        queue = self._declared_queues.get(row["destination"])
        if queue is None:
            queue = declare_task_queue(self._broker, row["destination"])
            self._declared_queues[row["destination"]] = queue
        body, headers, properties = celery_message(row)
        producer.publish(
            body,
            exchange=queue.exchange,
            routing_key=queue.routing_key,
            headers=headers,
            delivery_mode=2,
            serializer="json",
            **properties,  # correlation_id: the task id, as Celery sends it
        )
        self._count_sent()

    # --- database side -----------------------------------------------------------
    def _ensure_db(self) -> Connection:
        if self._db is None or self._db.closed:
            self._db = psycopg.connect(self.dsn, row_factory=dict_row)
        return self._db

    def run_once(self) -> int:
        """Publish one batch; return how many rows were published."""
        conn = self._ensure_db()
        with conn.transaction():
            rows = conn.execute(
                "SELECT id, message_id, kind, destination, body, headers FROM outbox "
                "WHERE published_at IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                (self.batch_size,),
            ).fetchall()
            if not rows:
                return 0
            producer = self._ensure_broker()
            for row in rows:
                self._publish(producer, row)
            self._await_confirms()
            ids = [row["id"] for row in rows]
            conn.execute(
                "UPDATE outbox SET published_at = %s, body = CASE WHEN kind = 'task' "
                "THEN jsonb_build_object('task', body->'task', 'kwargs', '{}'::jsonb, "
                "'scrubbed', true) ELSE body END WHERE id = ANY(%s)",
                (self.clock.now(), ids),
            )
        self.published += len(rows)
        for type_, count in Counter(metrics.row_type(row) for row in rows).items():
            metrics.OUTBOX_PUBLISHED.labels(self.service, type_).inc(count)
        return len(rows)

    def _wait(self, listener: Connection | None) -> Connection | None:
        """Sleep until NOTIFY or the poll interval; returns a (re)usable listener. The
        notifications that came meanwhile are taken with the first: one look serves them
        all (a look takes every committed row, up to the batch size)."""
        try:
            if listener is None or listener.closed:
                listener = psycopg.connect(self.dsn, autocommit=True)
                listener.execute(f"LISTEN {CHANNEL}")
            for _ in listener.notifies(timeout=self.poll_interval, stop_after=1):
                pass
            for _ in listener.notifies(timeout=0):
                pass
            return listener
        except psycopg.Error:
            time.sleep(self.poll_interval)
            return None

    def run(self) -> None:
        """Publish until `stopping` is set; survives broker and database outages."""
        listener: Connection | None = None
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                count = self.run_once()
                backoff = 0.5
            except psycopg.Error as exc:
                metrics.OUTBOX_PUBLISH_ERRORS.labels(self.service, "database").inc()
                log.warning("outbox relay: database unavailable", extra={"error": str(exc)[:200]})
                if self._db is not None:
                    self._db.close()
                self._db = None
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5)
                continue
            except Exception as exc:  # noqa: BLE001 - broker errors vary by transport
                metrics.OUTBOX_PUBLISH_ERRORS.labels(self.service, "broker").inc()
                log.warning("outbox relay: broker unavailable, events wait",
                            extra={"error": str(exc)[:200]})
                self._drop_broker()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5)
                continue
            # Look again at once after a look that published anything: rows committed
            # while it ran may have skipped their NOTIFY (notify-if-empty) because they
            # saw its rows waiting. Only a look that finds nothing sleeps.
            if count == 0:
                listener = self._wait(listener)
        if listener is not None:
            listener.close()
        self._drop_broker()
        if self._db is not None:
            self._db.close()


def pending_count(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
