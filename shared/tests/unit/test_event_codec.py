"""Issue 19: the envelope written and read with orjson stays the JSON of docs/events.md:
the same fields and values, UTF-8 text any JSON reader takes (the office systems', kombu's
own json), and read back to the same Event; a consumer reads only JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from kombu import serialization

from shared.bus import CONTENT_TYPE, SERIALIZER, EventConsumer, Topology
from shared.contracts.events import dumps, loads, new_event, parse_envelope

NOW = datetime(2026, 4, 1, 3, 4, 5, 123456, tzinfo=UTC)


def closed(reason="転居のため（ハローワーク品川）"):
    return new_event("job_seeker.closed", {"job_seeker_number": "12345-1234567",
                                           "reason": reason},
                     producer="code-issuer", now=NOW, correlation_id="cid-1")


def test_the_envelope_round_trips_through_orjson_to_the_same_event():
    event = closed()
    raw = event.to_json()
    assert isinstance(raw, bytes)
    assert parse_envelope(loads(raw)) == event


def test_the_bytes_are_the_documented_json_any_reader_takes_with_japanese_as_itself():
    event = closed()
    raw = event.to_json()
    assert json.loads(raw.decode("utf-8")) == event.to_message()  # the office's reader
    assert "転居のため（ハローワーク品川）".encode() in raw
    message = json.loads(raw)
    assert list(message) == ["event_id", "type", "version", "occurred_at", "producer",
                             "correlation_id", "payload"]
    assert message["occurred_at"] == "2026-04-01T03:04:05.123456Z"
    assert uuid.UUID(message["event_id"]) == event.event_id


def test_kombus_orjson_serializer_is_json_that_kombus_own_reader_takes():
    message = closed().to_message()
    content_type, encoding, body = serialization.dumps(message, serializer=SERIALIZER)
    assert (content_type, encoding) == (CONTENT_TYPE, "utf-8") == ("application/json", "utf-8")
    # the decoder of application/json is still kombu's own (Celery's messages use it)
    accepted = serialization.prepare_accept_content(["json"])  # what consumers pass
    assert serialization.loads(body, content_type, encoding, accept=accepted) == message
    _, _, stdlib_body = serialization.dumps(message, serializer="json")
    assert loads(stdlib_body) == loads(body) == message


def test_what_orjson_cannot_write_is_written_as_json_writes_it():
    assert json.loads(dumps({1: "a", "big": 2**70})) == {"1": "a", "big": 2**70}


@pytest.mark.parametrize("text", [b'{"version": NaN}', b'{"a": "\\ud800"}',
                                  b'{"version": 123456789012345678901234567890}'])
def test_reading_is_as_lenient_as_before(text):
    assert repr(loads(text)) == repr(json.loads(text))
    assert repr(loads(memoryview(text))) == repr(json.loads(text))


class Message(SimpleNamespace):
    def reject(self, requeue):
        self.rejected = True

    def ack(self):
        self.acked = True


def consumer(seen):
    handlers = {"job_seeker.closed": lambda event: seen.append(event)}
    return EventConsumer(connection=None, topology=Topology(namespace="unit"),
                         service="code_issuer", handlers=handlers)


def test_a_consumer_reads_json_messages_with_orjson():
    seen, event = [], closed()
    message = Message(content_type="application/json", body=event.to_json(),
                      delivery_info={}, rejected=False, acked=False)
    consumer(seen).on_raw_message(message)
    assert seen == [event] and message.acked and not message.rejected


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/x-python-serialize", b"\x80\x04K\x01."),  # pickle: never read
    ("application/json", b"{not json"),
    ("application/json", b'"\xff"'),  # not UTF-8
    (None, b"{}"),
])
def test_anything_but_json_is_dead_lettered_undecoded(content_type, body):
    seen = []
    message = Message(content_type=content_type, body=body, delivery_info={},
                      rejected=False, acked=False)
    consumer(seen).on_raw_message(message)
    assert message.rejected and not seen
