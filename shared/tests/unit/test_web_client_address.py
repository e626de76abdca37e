"""Issue 13 item 5: the client address behind trusted proxies given as CIDR ranges, walking
X-Forwarded-For from the right and stopping at the first untrusted hop."""

import pytest
from flask import Flask

from shared.config import ConfigError, trusted_networks
from shared.web.addresses import client_address

app = Flask(__name__)
POD_CIDR = trusted_networks(["10.244.0.0/16"])


def seen(peer: str, trusted, *forwarded: str) -> str:
    """What client_address answers for a request from `peer` carrying these headers."""
    headers = [("X-Forwarded-For", value) for value in forwarded]
    with app.test_request_context(environ_base={"REMOTE_ADDR": peer}, headers=headers):
        return client_address(trusted)


def test_item5_a_range_of_trusted_proxies_is_honoured_not_only_exact_addresses():
    assert seen("10.244.3.17", POD_CIDR, "203.0.113.7") == "203.0.113.7"


def test_item5_a_single_address_is_a_range_of_one():
    trusted = trusted_networks(["192.0.2.5"])
    assert seen("192.0.2.5", trusted, "203.0.113.7") == "203.0.113.7"
    assert seen("192.0.2.6", trusted, "203.0.113.7") == "192.0.2.6"


def test_item5_an_untrusted_peer_cannot_pick_its_address_with_x_forwarded_for():
    assert seen("198.51.100.9", POD_CIDR, "203.0.113.7") == "198.51.100.9"
    assert seen("198.51.100.9", POD_CIDR, "10.244.0.1") == "198.51.100.9"


def test_item5_a_spoofed_entry_left_of_the_proxys_own_is_ignored():
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real address.
    assert seen("10.244.3.17", POD_CIDR, "1.2.3.4, 203.0.113.7") == "203.0.113.7"


def test_item5_a_chain_of_two_trusted_proxies_yields_the_address_before_them():
    trusted = trusted_networks(["10.244.0.0/16", "172.16.0.0/12"])
    # client -> load balancer (172.16.0.4) -> portal pod (10.244.1.9) -> this service
    assert seen("10.244.1.9", trusted, "203.0.113.7, 172.16.0.4") == "203.0.113.7"
    assert seen("10.244.1.9", trusted, "6.6.6.6, 203.0.113.7, 172.16.0.4") == "203.0.113.7"
    # several header lines are one list, in order
    assert seen("10.244.1.9", trusted, "6.6.6.6, 203.0.113.7", "172.16.0.4") == "203.0.113.7"


def test_item5_only_trusted_hops_leave_the_last_one_reached():
    trusted = trusted_networks(["10.244.0.0/16", "172.16.0.0/12"])
    assert seen("10.244.1.9", trusted, "172.16.0.4") == "172.16.0.4"
    assert seen("10.244.1.9", trusted) == "10.244.1.9"


def test_item5_ipv6_ranges_and_addresses():
    trusted = trusted_networks(["fd00:abcd::/32", "2001:db8:1::1"])
    assert seen("fd00:abcd::7", trusted, "2001:DB8:ffff::0042") == "2001:db8:ffff::42"
    assert seen("2001:db8:1::1", trusted, "203.0.113.7") == "203.0.113.7"
    assert seen("2001:db8:1::2", trusted, "203.0.113.7") == "2001:db8:1::2"
    assert seen("fd00:abcd::7", trusted, "203.0.113.8, fd00:abcd::9") == "203.0.113.8"


def test_item5_an_ipv4_mapped_ipv6_peer_is_read_as_its_ipv4_address():
    assert seen("::ffff:10.244.3.17", POD_CIDR, "203.0.113.7") == "203.0.113.7"
    assert seen("::ffff:198.51.100.9", POD_CIDR, "203.0.113.7") == "198.51.100.9"


@pytest.mark.parametrize("garbage", ["unknown", "203.0.113.7:5555", "", "300.1.1.1",
                                     "203.0.113.7 ; DROP", "_hidden", "[2001:db8::1]"])
def test_item5_a_malformed_entry_ends_the_walk_at_the_last_trusted_hop(garbage):
    trusted = trusted_networks(["10.244.0.0/16", "172.16.0.0/12"])
    assert seen("10.244.1.9", trusted, f"{garbage}, 172.16.0.4") == "172.16.0.4"
    assert seen("10.244.1.9", trusted, garbage) == "10.244.1.9"
    # behind the right-most untrusted address, garbage does not matter
    assert seen("10.244.1.9", trusted, f"{garbage}, 203.0.113.7") == "203.0.113.7"


def test_item5_nothing_is_believed_when_no_proxy_is_trusted():
    assert seen("10.244.3.17", (), "203.0.113.7") == "10.244.3.17"


def test_item5_ranges_are_parsed_once_and_a_bad_entry_is_named():
    assert trusted_networks([" 10.244.0.0/16 ", "10.0.0.10", "::1", "192.168.1.7/24"]) == (
        POD_CIDR[0], trusted_networks(["10.0.0.10/32"])[0], trusted_networks(["::1/128"])[0],
        trusted_networks(["192.168.1.0/24"])[0])
    for bad in ("10.244.0.0/33", "pods", "10.244.0.0/16/1", "2001:db8::/129"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES") as refused:
            trusted_networks(["127.0.0.1", bad])
        assert repr(bad) in str(refused.value)
