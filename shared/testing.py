"""Test plumbing for every service: throw-away databases and bus namespaces on the real
servers, a tap that records what was published, and polling with a bounded wait."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from kombu import Connection, Queue, binding

from shared.bus import Topology
from shared.db import drop_database, migrate

T = TypeVar("T")

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BROKER = os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def dsn_for(dbname: str) -> str:
    base = POSTGRES.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


@contextmanager
def fresh_database(service: str, migrations: Path) -> Iterator[str]:
    """A new migrated database for one test session; dropped afterwards."""
    dsn = dsn_for(unique(f"test_{service}"))
    migrate(dsn, migrations)
    try:
        yield dsn
    finally:
        drop_database(dsn)


@contextmanager
def fresh_namespace() -> Iterator[Topology]:
    """A bus namespace of its own (exchanges and queues), deleted afterwards."""
    topology = Topology(namespace=unique("test"))
    with Connection(BROKER) as conn:
        topology.declare(conn)
    try:
        yield topology
    finally:
        with Connection(BROKER) as conn:
            topology.delete(conn)


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


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {result!r})")
        time.sleep(interval)


class TcpProxy:
    """A loopback TCP forwarder the tests can cut and restore, to make a real server
    unreachable for one process without stopping it for everyone else."""

    def __init__(self, target_host: str, target_port: int):
        import socket
        import threading

        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self._pairs: list = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)  # the 5 s were for connecting: idle links must live on
            with self._lock:
                self._pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            TcpProxy._break(src, dst)

    @staticmethod
    def _break(*sockets) -> None:
        """Shut down, then close: a bare close() leaves the link open while the other pipe
        thread still waits in recv() on it, so the far end would never hear of the end."""
        import socket

        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        self.up.clear()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            TcpProxy._break(*pair)

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()
