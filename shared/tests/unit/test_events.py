import uuid
from datetime import UTC, date, datetime

import pytest
from marshmallow import ValidationError

from shared.contracts.events import new_event, parse_envelope

NOW = datetime(2026, 4, 1, 3, tzinfo=UTC)


def issued_payload(**over):
    payload = {
        "code_id": uuid.uuid4(), "job_seeker_number": "12345-1234567",
        "birth_date": date(1990, 1, 2), "code_digest": "a" * 64, "issued_at": NOW,
        "expires_at": NOW, "supersedes": [],
    }
    payload.update(over)
    return payload


def test_new_event_builds_the_documented_envelope():
    event = new_event("code.issued", issued_payload(), producer="code-issuer", now=NOW)
    message = event.to_message()
    assert set(message) == {"event_id", "type", "version", "occurred_at", "producer",
                            "correlation_id", "payload"}
    assert message["occurred_at"] == "2026-04-01T03:00:00Z"
    assert message["payload"]["birth_date"] == "1990-01-02"
    assert message["payload"]["issued_at"].endswith("Z")
    assert parse_envelope(message).payload == message["payload"]


def test_producers_refuse_unknown_or_bad_payload_fields():
    with pytest.raises(ValidationError):
        new_event("code.issued", issued_payload(code="PLAIN"), producer="x", now=NOW)
    with pytest.raises(ValidationError):
        new_event("code.issued", issued_payload(job_seeker_number="1-2"), producer="x", now=NOW)


def test_envelope_parsing_ignores_unknown_fields_and_refuses_missing_ones():
    message = new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                        producer="x", now=NOW).to_message()
    assert parse_envelope({**message, "extra": 1}).type == "code.revoked"
    del message["event_id"]
    with pytest.raises(ValidationError):
        parse_envelope(message)
    with pytest.raises(ValidationError):
        parse_envelope(["not", "a", "dict"])


def failure_payload(**over):
    payload = {"code_id": uuid.uuid4(), "failed_attempts": 3, "client_address": "203.0.113.0/24"}
    payload.update(over)
    return payload


@pytest.mark.parametrize("address", ["203.0.113.0/24", "2001:db8:abcd::/48", "unknown"])
def test_item9_code_failure_counted_carries_the_count_and_a_masked_address(address):
    event = new_event("code.failure_counted", failure_payload(client_address=address),
                      producer="registration", now=NOW)
    assert event.payload["client_address"] == address and event.payload["failed_attempts"] == 3
    assert set(event.payload) == {"code_id", "failed_attempts", "client_address"}


@pytest.mark.parametrize("over", [
    {"client_address": "203.0.113.7"},  # unmasked: never leaves the producer
    {"client_address": "203.0.113.0/16"}, {"client_address": "203.0.113.7/24"},
    {"client_address": "2001:db8:abcd:1::/64"}, {"client_address": ""},
    {"failed_attempts": 0}, {"failed_attempts": -1},
    {"code_id": "not-a-uuid"}, {"email": "a@example.jp"},
])
def test_item9_code_failure_counted_refuses_an_unmasked_address_or_a_bad_count(over):
    with pytest.raises(ValidationError):
        new_event("code.failure_counted", failure_payload(**over), producer="registration",
                  now=NOW)


def test_item9_code_failure_counted_missing_a_field_is_refused():
    payload = failure_payload()
    del payload["client_address"]
    with pytest.raises(ValidationError):
        new_event("code.failure_counted", payload, producer="registration", now=NOW)
