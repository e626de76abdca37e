"""The client's address behind trusted proxies (X-Forwarded-For, right-most untrusted hop)."""

from __future__ import annotations

import ipaddress

from flask import request

from shared.config import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    """An IP address (an IPv4-mapped IPv6 one read as IPv4), or None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(trusted_proxies: tuple[Network, ...]) -> str:
    """The caller's address: the right-most untrusted hop of X-Forwarded-For.

    Starting from the peer, each trusted hop's entry (the header read from the right) tells
    who it heard from; the first untrusted one is the client, since only a trusted proxy's
    word is believed (anything further left may be the client's own invention). A malformed
    entry ends the walk at the last trusted hop reached.
    """
    peer = request.remote_addr or "0.0.0.0"  # noqa: S104 - a label, not a bind
    current = _address(peer)
    if current is None:
        return peer
    hops = ",".join(request.headers.getlist("X-Forwarded-For")).split(",")
    for hop in reversed(hops):
        if not any(current in network for network in trusted_proxies):
            break
        previous = _address(hop)
        if previous is None:
            break
        current = previous
    return str(current)
