"""The client's address behind trusted proxies (X-Forwarded-For, right-most untrusted hop)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import request

from shared.config import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(entries: Iterable[str], setting: str = "TRUSTED_PROXIES") -> tuple[Network, ...]:
    """CIDR ranges (or single addresses, IPv4 or IPv6) of the proxies whose X-Forwarded-For
    is believed, parsed once when the settings are read; a bad entry is a ConfigError."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{setting}: {entry!r} is neither an IP address nor a CIDR range") from None
    return tuple(networks)


def parse_trusted_proxies(raw: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as written: comma-separated ranges or addresses."""
    return trusted_networks([part for part in raw.split(",") if part.strip()])


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
