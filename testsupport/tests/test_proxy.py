"""The cuttable link: a cut that comes while a link is being made leaves no link open (it
let a pool keep a working connection through a 'cut' link, test_consumer_database_outage)."""

from __future__ import annotations

import socket

from testsupport import proxy as proxy_module
from testsupport.proxy import TcpProxy


def test_a_link_being_made_when_the_cut_comes_is_broken(monkeypatch):
    target = socket.create_server(("127.0.0.1", 0))
    link = TcpProxy("127.0.0.1", target.getsockname()[1])
    connect = socket.create_connection

    def cut_while_connecting(address, timeout=None):
        if address[1] == target.getsockname()[1]:  # the proxy's own link to the server
            link.cut()  # the cut lands between the accept and the pair being kept
        return connect(address, timeout=timeout)

    monkeypatch.setattr(proxy_module.socket, "create_connection", cut_while_connecting)
    try:
        client = connect(("127.0.0.1", link.port), timeout=5)
        assert client.recv(1) == b""  # closed by the proxy, not left open past the cut
    finally:
        monkeypatch.undo()
        link.close()
        target.close()
