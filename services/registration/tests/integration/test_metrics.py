"""Registration's own metrics (docs/METRICS.md), counted where its rules act: R4's
invalidations, R10's expiries, the throttles' refusals and argon2id's time."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY
from registration.commands import RecordKeyExpiry
from registration.usecases import applications

pytestmark = pytest.mark.integration


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_r4_the_tenth_wrong_step2_counts_one_invalidation(client, good_body, bus):
    code_id, code, number = bus.issue()
    before = value("codes_invalidated_total")
    for attempt in range(11):
        response = client.post("/v1/applications",
                               json=good_body(code, number, birth_date="1991-01-02"),
                               headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"})
        assert response.status_code in (400, 410), response.get_json()
    assert value("codes_invalidated_total") == before + 1


def test_r10_an_expired_auth_key_is_counted(conn, clock):
    before = value("auth_keys_expired_total")
    applications.record_key_expiry(conn, RecordKeyExpiry(uuid.uuid4(), clock.now()), clock.now())
    assert value("auth_keys_expired_total") == before + 1


def test_a_rate_limited_request_is_counted_by_its_limit(make_client, good_body):
    client = make_client(rate_limit_applications=1)
    before = value("throttle_refusals_total", service="registration", limit="applications")
    body = good_body("ABCDEFGH", "12345-1")
    client.post("/v1/applications", json=body, headers={"X-Forwarded-For": "198.51.100.4"})
    refused = client.post("/v1/applications", json=body,
                          headers={"X-Forwarded-For": "198.51.100.4"})
    assert refused.status_code == 429
    assert value("throttle_refusals_total", service="registration",
                 limit="applications") == before + 1


def test_argon2_hashes_are_timed_by_operation(client, account):
    hashed = value("argon2_hash_seconds_count", operation="hash")
    verified = value("argon2_hash_seconds_count", operation="verify")
    assert hashed >= 1  # the account's password was hashed
    assert client.post("/v1/sessions", json={"email": account["email"],
                                             "password": account["password"]}).status_code == 201
    assert value("argon2_hash_seconds_count", operation="verify") == verified + 1
    assert value("argon2_hash_seconds_sum", operation="verify") > 0
