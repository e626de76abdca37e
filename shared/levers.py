"""What an operator looks at and acts on, the same for every service: the outbox's backlog
and the service's dead-letter queue (list, replay). Each service's `cli.py` offers them
as `python -m <service> ops ...` (shared.opscli); nothing here knows about HTTP.

Replay puts a dead letter back on the queue it died in, through the default exchange (so
only that service sees it again, not every subscriber of the event), with the broker's
confirm before the dead letter is acknowledged: a replay never loses a message, and a
message replayed twice is handled once, since every consumer claims events in its inbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from kombu import Producer, Queue

from shared.bus import Topology, connect


@dataclass(frozen=True)
class Backlog:
    """Unpublished outbox rows of one destination (an event's routing key, a task's queue)."""

    kind: str
    destination: str
    pending: int
    oldest: datetime


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    oldest_age_seconds: float | None
    published_last_hour: int
    backlog: tuple[Backlog, ...]

    def as_dict(self) -> dict:
        return {
            "pending": self.pending,
            "oldest_age_seconds": self.oldest_age_seconds,
            "published_last_hour": self.published_last_hour,
            "backlog": [
                {"kind": b.kind, "destination": b.destination, "pending": b.pending,
                 "oldest": b.oldest.isoformat()}
                for b in self.backlog
            ],
        }


def outbox_status(conn, now: datetime) -> OutboxStatus:
    """The backlog by destination, the age of the oldest unpublished row and what went
    out in the last hour (the partial index on unpublished rows keeps this cheap)."""
    rows = conn.execute(
        "SELECT kind, destination, count(*), min(created_at) FROM outbox "
        "WHERE published_at IS NULL GROUP BY kind, destination ORDER BY min(created_at)"
    ).fetchall()
    published = conn.execute(
        "SELECT count(*) FROM outbox WHERE published_at > %s - interval '1 hour'", (now,)
    ).fetchone()[0]
    backlog = tuple(Backlog(kind, destination, count, oldest)
                    for kind, destination, count, oldest in rows)
    oldest = min((b.oldest for b in backlog), default=None)
    return OutboxStatus(
        pending=sum(b.pending for b in backlog),
        oldest_age_seconds=None if oldest is None else max(0.0, (now - oldest).total_seconds()),
        published_last_hour=published,
        backlog=backlog,
    )


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered event, as RabbitMQ's x-death header and the envelope tell it.

    `reason` is the broker's: `rejected` (the consumer refused it at once: a malformed
    envelope or a payload its handler's schema refused) or `delivery_limit` (its handler
    kept failing); the consumer's log line of the same event id says more."""

    event_id: str | None
    type: str | None
    reason: str
    first_seen: datetime | None
    deaths: int
    queue: str
    routing_key: str | None

    def as_dict(self) -> dict:
        return {
            "event_id": self.event_id, "type": self.type, "reason": self.reason,
            "first_seen": None if self.first_seen is None else self.first_seen.isoformat(),
            "deaths": self.deaths, "queue": self.queue, "routing_key": self.routing_key,
        }


def _describe(message, dead_letter_queue: str) -> DeadLetter:
    deaths = (message.headers or {}).get("x-death") or [{}]
    last = deaths[0]
    try:
        envelope = json.loads(message.body)
    except (TypeError, ValueError):
        envelope = {}
    if not isinstance(envelope, dict):
        envelope = {}
    keys = last.get("routing-keys") or [None]
    first_seen = last.get("time")
    return DeadLetter(
        event_id=envelope.get("event_id") if isinstance(envelope.get("event_id"), str) else None,
        type=envelope.get("type") if isinstance(envelope.get("type"), str) else None,
        reason=str(last.get("reason", "unknown")),
        first_seen=first_seen if isinstance(first_seen, datetime) else None,
        deaths=sum(int(d.get("count", 1)) for d in deaths),
        queue=str(last.get("queue", dead_letter_queue)),
        routing_key=keys[0],
    )


class DeadLetters:
    """A service's dead-letter queue: browse it, replay one event or all of them."""

    def __init__(self, broker_url: str, topology: Topology, service: str):
        self.broker_url = broker_url
        self.topology = topology
        self.queue_name = topology.dead_letter_queue(service).name

    def _fetch(self, channel, limit: int) -> list:
        """Up to `limit` messages, held unacknowledged (the caller acks or requeues)."""
        queue = Queue(self.queue_name, no_declare=True)(channel)
        held = []
        while len(held) < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            held.append(message)
        return held

    def list(self, limit: int = 100) -> list[DeadLetter]:
        """The first `limit` dead letters, oldest first; the queue is left as it was."""
        with connect(self.broker_url) as connection:
            channel = connection.channel()
            held = self._fetch(channel, limit)
            letters = [_describe(message, self.queue_name) for message in held]
            for message in held:
                message.requeue()
            channel.close()
        return letters

    def replay(self, event_id: str | None = None, limit: int = 10_000) -> list[DeadLetter]:
        """Put `event_id` (None: every dead letter, up to `limit`) back on its own queue.

        Each is published with the broker's confirm before its dead letter is acked; the
        others are requeued untouched. Returns what was replayed."""
        replayed = []
        with connect(self.broker_url) as connection:
            channel = connection.channel()
            producer = Producer(channel)
            held = self._fetch(channel, limit)
            for message in held:
                letter = _describe(message, self.queue_name)
                if event_id is not None and letter.event_id != event_id:
                    message.requeue()
                    continue
                headers = {key: value for key, value in (message.headers or {}).items()
                           if not key.startswith("x-")}
                properties = message.properties or {}
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=letter.queue,
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=2,
                    message_id=properties.get("message_id"),
                    correlation_id=properties.get("correlation_id"),
                    retry=False,
                )  # returns once the broker confirmed it (confirm_publish)
                message.ack()
                replayed.append(letter)
            channel.close()
        return replayed
