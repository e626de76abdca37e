"""A TCP link the tests can cut and restore."""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """A loopback TCP forwarder the tests can cut and restore, to make a real server
    unreachable for one process without stopping it for everyone else."""

    def __init__(self, target_host: str, target_port: int):
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
                # cut() may have come while this link was being made: it clears `up` before
                # it takes the lock, so a link it did not break is refused here
                if not self.up.is_set():
                    TcpProxy._break(client, server)
                    continue
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
