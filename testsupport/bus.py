"""What a test needs around the bus: a tap recording what the relays publish, and a relay
or consumer run in a thread for the length of a block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kombu import Connection, Queue, binding

from shared.bus import Topology
from testsupport.servers import BROKER, unique

W = TypeVar("W")


class Tap:
    """A queue bound to every event of a namespace, recording what the relays publish."""

    def __init__(self, topology: Topology):
        self.topology = topology
        self.queue = Queue(
            unique(f"{topology.namespace}.tap"),
            bindings=[binding(topology.exchange, routing_key="#")],
            durable=False,
            auto_delete=False,
        )
        self.connection = Connection(BROKER)
        self.queue(self.connection.default_channel).declare()
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        """Everything arrived so far (kept in `seen`)."""
        simple = self.connection.SimpleQueue(self.queue)
        try:
            while True:
                try:
                    message = simple.get(block=False)
                except simple.Empty:
                    break
                self.seen.append(message.payload)
                message.ack()
        finally:
            simple.close()
        return self.seen

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.drain() if e.get("type") == type_]

    def close(self) -> None:
        self.queue(self.connection.default_channel).delete()
        self.connection.release()



@contextmanager
def running(worker: W) -> Iterator[W]:
    """`worker.run()` in a thread for the block, then stopped and waited for: an outbox
    relay (stopped by its `stopping` event) or an event consumer (by `should_stop`)."""
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stopping = getattr(worker, "stopping", None)
        if isinstance(stopping, threading.Event):
            stopping.set()
        else:
            worker.should_stop = True
        thread.join(timeout=10)
