"""Issue 13 item 5 through the API: per-address limits behind proxies given as ranges."""

import pytest

pytestmark = pytest.mark.integration


def terms(client, forwarded):
    return client.get("/v1/terms", headers={"X-Forwarded-For": forwarded}).status_code


def test_item5_behind_a_trusted_range_each_person_has_their_own_bucket(make_client):
    # The test client's peer is 127.0.0.1, inside the trusted range (a pod CIDR in deploy).
    client = make_client(rate_limit_reads=1, trusted_proxies="127.0.0.0/8, 10.244.0.0/16")
    assert terms(client, "203.0.113.7") == 200
    assert terms(client, "203.0.113.8") == 200  # someone else behind the same proxy
    assert terms(client, "203.0.113.7") == 429
    # a chain of trusted proxies: the right-most untrusted hop is the person
    assert terms(client, "203.0.113.9, 10.244.7.1") == 200
    assert terms(client, "203.0.113.9") == 429
    # a person cannot pick a fresh bucket by sending their own X-Forwarded-For
    assert terms(client, "198.51.100.1, 203.0.113.8") == 429


def test_item5_an_untrusted_peers_x_forwarded_for_is_ignored(make_client):
    client = make_client(rate_limit_reads=1, trusted_proxies="10.244.0.0/16")
    assert terms(client, "203.0.113.7") == 200
    assert terms(client, "203.0.113.8") == 429  # both are the peer 127.0.0.1
