"""Ceilings that are not SQL: argon2id hashes per second, kombu's confirmed publishes, and
the serial ceiling of step 2 (the rate the cores allow if a request cost only its parts)."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
import uuid
from dataclasses import dataclass

import psycopg
from kombu import Connection, Producer, Queue, binding

from shared.bus import Topology, connect

RELAY_KEY = "bench.relay"


def _hash_for(seconds: float, memory_kib: int, time_cost: int, parallelism: int, out) -> None:
    from argon2 import PasswordHasher, Type

    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                            parallelism=parallelism, type=Type.ID)
    hasher.hash("warm-up-0")
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        hasher.hash("Hello-w0rk-2026")
        count += 1
    out.put((count, time.perf_counter() - started, time.process_time() - cpu))


@dataclass(frozen=True)
class HashRate:
    per_second: float  # all processes together
    processes: int
    cpu_ms: float  # CPU time one hash takes


def argon2_rate(seconds: float, memory_kib: int, time_cost: int, parallelism: int,
                processes: int | None = None) -> HashRate:
    """argon2id hashes/s with registration's parameters, one hashing process per core."""
    processes = processes or os.cpu_count() or 1
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    workers = [ctx.Process(target=_hash_for, args=(seconds, memory_kib, time_cost, parallelism,
                                                   out)) for _ in range(processes)]
    for w in workers:
        w.start()
    results = [out.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join()
    return HashRate(sum(count / took for count, took, _ in results), processes,
                    1000 * sum(cpu for _, _, cpu in results) / sum(n for n, _, _ in results))


@dataclass(frozen=True)
class SerialCeiling:
    """B1's serial ceiling: what the cores allow if a step 2 cost only the trivial
    endpoint's CPU, its SQL's CPU in PostgreSQL (as pgbench runs it) and Redis's CPU for
    its rate-limit round trip, and nothing else (no pool, no Flask view, no JSON log)."""

    per_second: float
    trivial_ms: float  # the trivial JSON endpoint's CPU per request
    sql_ms: float  # PostgreSQL's CPU per pgbench transaction of the same statements
    redis_ms: float  # Redis's CPU per step 2

    @property
    def cost_ms(self) -> float:
        return self.trivial_ms + self.sql_ms + self.redis_ms


def cpu_ms_per(cpu_seconds: float, work: int) -> float:
    """Milliseconds of CPU per unit of work; NaN when no work was done."""
    return 1000 * cpu_seconds / work if work else math.nan


def serial_ceiling(cores: int, trivial_ms: float, sql_ms: float, redis_ms: float) -> SerialCeiling:
    """cores ÷ (CPU per trivial request + CPU per SQL transaction + Redis's CPU per
    request), in requests per second; NaN if a part is missing or the sum is not positive.
    Redis's part may be 0 (below /proc's 10 ms tick over a whole run) but not missing."""
    cost = trivial_ms + sql_ms + redis_ms
    rate = 1000 * cores / cost if cost > 0 and not math.isnan(cost) else math.nan
    return SerialCeiling(rate, trivial_ms, sql_ms, redis_ms)


TRIVIAL = "trivial JSON endpoint"  # the session name of bench/trivial.py's server


def serial_ceilings(results, kind: str, clients: int, cores: int) -> list[SerialCeiling]:
    """One serial ceiling per run of B1's `kind` triple at `clients`: run n pairs the
    trivial endpoint's run n, pgbench's run n of the same statements, and Redis's CPU
    during the HTTP run n (the rate-limit round trip), as those runs alternate."""
    trivial = results.cpu_runs.get(f"b1-trivial-{clients}", [])
    sql = results.cpu_runs.get(f"b1-sql_{kind}-{clients}", [])
    http = results.cpu_runs.get(f"b1-{kind}-{clients}", [])
    return [serial_ceiling(cores, cpu_ms_per(t["cpu"].get(TRIVIAL, 0.0), t["work"]),
                           cpu_ms_per(q["cpu"].get("PostgreSQL", 0.0), q["work"]),
                           cpu_ms_per(h["cpu"].get("Redis", 0.0), h["work"]))
            for t, q, h in zip(trivial, sql, http, strict=False)]


def flow_cpu_outside_hashes(results, hashes_per_flow: int = 2) -> list[float]:
    """B4's CPU per whole flow (every process of the system and the servers) less its
    argon2id hashes, each costing what a hash cost in the ceiling run just before; in ms,
    one value per run."""
    out = []
    for run, rate in zip(results.cpu_runs.get("b4", []), results.argon2.get("b4", []),
                         strict=False):
        if run["work"]:
            total = cpu_ms_per(sum(run["cpu"].values()), run["work"])
            out.append(total - hashes_per_flow * rate.cpu_ms)
    return out


def _event_body(i: int) -> dict:
    """A message the size of a real event (code.revoked's envelope)."""
    return {"event_id": str(uuid.uuid4()), "type": RELAY_KEY, "version": 1,
            "occurred_at": "2026-11-25T12:00:00.000000Z", "producer": "bench",
            "correlation_id": str(uuid.uuid4()),
            "payload": {"code_id": str(uuid.uuid4()), "reason": "superseded", "n": i}}


class RelayBench:
    """A quorum queue bound to RELAY_KEY on the system's event exchange, for both runs."""

    def __init__(self, broker_url: str, namespace: str):
        self.broker_url = broker_url
        self.topology = Topology(namespace)
        self.queue = Queue(f"{namespace}.bench-relay",
                           bindings=[binding(self.topology.exchange, routing_key=RELAY_KEY)],
                           durable=True, queue_arguments={"x-queue-type": "quorum"})
        with connect(broker_url) as conn:
            self.queue(conn.default_channel).declare()

    def depth(self) -> int:
        with connect(self.broker_url) as conn:
            return self.queue(conn.default_channel).queue_declare(passive=True).message_count

    def purge(self) -> None:
        with connect(self.broker_url) as conn:
            self.queue(conn.default_channel).purge()

    def kombu_alone(self, count: int) -> float:
        """Messages/s of one kombu producer publishing with confirms, as the relay does
        (persistent, JSON, each publish waiting for its confirm)."""
        self.purge()
        with connect(self.broker_url) as conn:
            conn.ensure_connection(max_retries=1)
            producer = Producer(conn.default_channel, serializer="json")
            bodies = [_event_body(i) for i in range(count)]
            started = time.perf_counter()
            for body in bodies:
                producer.publish(body, exchange=self.topology.exchange, routing_key=RELAY_KEY,
                                 delivery_mode=2, serializer="json",
                                 message_id=body["event_id"],
                                 correlation_id=body["correlation_id"], type=body["type"])
            took = time.perf_counter() - started
        return count / took

    def kombu_pipelined(self, count: int, batch: int = 200) -> float:
        """Messages/s of kombu's `Producer.publish` on a channel in confirm mode when a batch
        is published before its confirms are awaited (the best confirms allow): the ceiling.
        Same calls as the relay, without the database."""
        self.purge()
        with Connection(self.broker_url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.default_channel
            channel.confirm_select()
            confirmed: set[int] = set()

            def on_ack(tag: int, multiple: bool) -> None:
                if multiple:
                    confirmed.update(range(1, tag + 1))
                else:
                    confirmed.add(tag)

            def on_nack(tag: int, multiple: bool) -> None:
                raise RuntimeError("the broker refused a message")

            channel.events["basic_ack"].add(on_ack)
            channel.events["basic_nack"].add(on_nack)
            producer = Producer(channel, serializer="json")
            bodies = [_event_body(i) for i in range(count)]
            sent = 0
            started = time.perf_counter()
            for first in range(0, count, batch):
                for body in bodies[first:first + batch]:
                    producer.publish(body, exchange=self.topology.exchange,
                                     routing_key=RELAY_KEY, delivery_mode=2, serializer="json",
                                     message_id=body["event_id"],
                                     correlation_id=body["correlation_id"], type=body["type"])
                    sent += 1
                while len(confirmed) < sent:
                    conn.drain_events(timeout=10)
            took = time.perf_counter() - started
        if self.depth() < count:
            raise RuntimeError("pipelined publishing lost messages")
        return count / took

    def through_relay(self, dsn: str, count: int, timeout: float = 120) -> float:
        """Messages/s of the running relay: `count` outbox rows committed at once (one
        NOTIFY), timed from the commit to the last row marked published."""
        self.purge()
        with psycopg.connect(dsn) as conn:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO outbox (message_id, kind, destination, body, headers, "
                    "created_at) VALUES (%s, 'event', %s, %s, '{}', now())",
                    [(b["event_id"], RELAY_KEY, json.dumps(b))
                     for b in (_event_body(i) for i in range(count))])
                cur.execute("NOTIFY outbox")
            conn.commit()
            started = time.perf_counter()
            conn.autocommit = True
            deadline = time.monotonic() + timeout
            while conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL "
                               "AND destination = %s", (RELAY_KEY,)).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the relay did not publish the rows in time")
                time.sleep(0.005)
            took = time.perf_counter() - started
        if self.depth() < count:
            raise RuntimeError("the relay marked rows published that the queue lacks")
        return count / took

    def close(self) -> None:
        with connect(self.broker_url) as conn:
            self.queue(conn.default_channel).delete()
