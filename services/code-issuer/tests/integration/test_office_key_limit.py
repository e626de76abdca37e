"""Issue 13 item 8: wrong office API keys are limited per client address (Redis): after
10 failures in 15 minutes the address gets 429 with Retry-After, before its key is even
compared; other addresses are not affected; without Redis the limit lapses."""

import dataclasses

import pytest
from code_issuer.app import create_app
from code_issuer.runtime import build
from prometheus_client import REGISTRY

from testsupport import TcpProxy

pytestmark = pytest.mark.integration

WRONG = {"Authorization": "Bearer not-the-office-key"}
RIGHT = {"Authorization": "Bearer dev-office-key"}


def codes(client, headers, address):
    return client.get("/v1/codes", query_string={"job_seeker_number": "12345-1"},
                      headers={**headers, "X-Forwarded-For": address})


def refusals() -> float:
    """throttle_refusals_total of the office key (docs/METRICS.md)."""
    return REGISTRY.get_sample_value("throttle_refusals_total",
                                     {"service": "code-issuer", "limit": "office_key"}) or 0.0


def test_item8_the_eleventh_wrong_key_from_one_address_is_429_and_others_still_work(client):
    before = refusals()
    for _ in range(10):
        response = codes(client, WRONG, "198.51.100.7")
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
    limited = codes(client, WRONG, "198.51.100.7")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "RATE_LIMITED"
    assert 890 <= int(limited.headers["Retry-After"]) <= 900
    # blocked before the key is compared: the right key from there is refused too
    assert codes(client, RIGHT, "198.51.100.7").status_code == 429
    assert client.post("/v1/codes", json={}, headers={
        **WRONG, "X-Forwarded-For": "198.51.100.7"}).status_code == 429
    # another address is not affected, with the right key or a wrong one
    assert codes(client, RIGHT, "198.51.100.8").status_code == 200
    assert codes(client, WRONG, "198.51.100.8").status_code == 401
    assert refusals() == before + 3  # each 429 counted once


def test_item8_right_keys_are_never_counted(client):
    for _ in range(30):
        assert codes(client, RIGHT, "198.51.100.9").status_code == 200
    for _ in range(10):
        assert codes(client, WRONG, "198.51.100.9").status_code == 401
    assert codes(client, WRONG, "198.51.100.9").status_code == 429


def test_item8_the_limit_and_window_are_settings(config, clock, pool):
    limited = dataclasses.replace(config, office_key_failures_per_address=2,
                                  office_key_failure_seconds=60)
    app = create_app(limited, build(limited, clock=clock))
    try:
        client = app.test_client()
        assert [codes(client, WRONG, "198.51.100.10").status_code for _ in range(3)] == [
            401, 401, 429]
        assert 50 <= int(codes(client, WRONG, "198.51.100.10").headers["Retry-After"]) <= 60
    finally:
        app.extensions["code_issuer"].pool.close()


def test_item8_without_redis_the_limit_lapses_and_the_office_api_still_works(config, clock,
                                                                             pool):
    proxy = TcpProxy("127.0.0.1", 6379)
    proxy.cut()
    cut = dataclasses.replace(config, redis_url=f"redis://127.0.0.1:{proxy.port}/0")
    app = create_app(cut, build(cut, clock=clock))
    try:
        client = app.test_client()
        for _ in range(12):
            assert codes(client, WRONG, "198.51.100.11").status_code == 401
        assert codes(client, RIGHT, "198.51.100.11").status_code == 200
    finally:
        app.extensions["code_issuer"].pool.close()
        proxy.close()
