"""The codes view converges from code.* events in any order, once each (real broker)."""

import uuid
from datetime import date, timedelta

import pytest
from kombu import Connection

from shared.contracts.events import new_event
from shared.tokens import keyed_digest
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration
SECRET = "test-digest-secret-for-registration"


def code_row(conn, code_id):
    return conn.execute(
        "SELECT job_seeker_number, revoke_reason, superseded_at IS NOT NULL, expired_at, "
        "failed_attempts FROM codes WHERE code_id = %s", (code_id,)).fetchone()


def issued(clock, code_id=None, number="12345-7654321", issued_at=None, supersedes=()):
    issued_at = issued_at or clock.now()
    return {"code_id": code_id or uuid.uuid4(), "job_seeker_number": number,
            "birth_date": date(1990, 1, 2), "code_digest": keyed_digest(
                SECRET, uuid.uuid4().hex[:10].upper(), "code"),
            "issued_at": issued_at, "expires_at": issued_at + timedelta(days=5),
            "supersedes": list(supersedes)}


def test_a_revoke_before_its_issue_leaves_the_code_revoked(bus, clock, conn, apply):
    code_id = uuid.uuid4()
    bus.publish("code.revoked", {"code_id": code_id, "reason": "revoked_by_office"})
    assert code_row(conn, code_id)[:2] == (None, "revoked_by_office")  # a tombstone
    bus.publish("code.issued", issued(clock, code_id))
    assert code_row(conn, code_id)[:2] == ("12345-7654321", "revoked_by_office")


def test_an_expiry_before_its_issue_is_kept(bus, clock, conn):
    code_id = uuid.uuid4()
    bus.publish("code.expired", {"code_id": code_id, "expired_at": clock.now()})
    bus.publish("code.issued", issued(clock, code_id))
    assert code_row(conn, code_id)[3] == clock.now()


def test_the_same_event_twice_changes_nothing_the_second_time(bus, clock, conn, rows):
    event = new_event("code.issued", issued(clock), producer="test", now=clock.now())
    bus.send(event.to_message(), "code.issued")
    conn.execute("UPDATE codes SET failed_attempts = 3")
    bus.send(event.to_message(), "code.issued")
    assert rows("codes", "failed_attempts = 3") == 1 and rows("inbox") == 1


def test_the_same_issue_in_two_events_converges(bus, clock, conn, rows):
    payload = issued(clock)
    bus.publish("code.issued", payload)
    bus.publish("code.issued", payload)
    assert rows("codes") == 1 and rows("inbox") == 2


def test_r3_a_re_issue_arriving_before_the_first_issue_still_supersedes_it(bus, clock, conn):
    old_id, new_id = uuid.uuid4(), uuid.uuid4()
    later = clock.now() + timedelta(hours=2)
    bus.publish("code.issued", issued(clock, new_id, issued_at=later, supersedes=[old_id]))
    bus.publish("code.issued", issued(clock, old_id))
    assert code_row(conn, old_id)[2] is True and code_row(conn, new_id)[2] is False


def test_r3_a_newer_code_supersedes_older_ones_even_without_the_supersedes_list(bus, clock,
                                                                                 conn):
    old_id, new_id = uuid.uuid4(), uuid.uuid4()
    bus.publish("code.issued", issued(clock, new_id, issued_at=clock.now() + timedelta(hours=1)))
    bus.publish("code.issued", issued(clock, old_id))
    assert code_row(conn, old_id)[2] is True and code_row(conn, new_id)[2] is False


def dead_letters(topology):
    with Connection(BROKER) as conn:
        queue = topology.dead_letter_queue("registration")(conn.default_channel)
        return queue.queue_declare(passive=True).message_count


def test_bad_events_are_dead_lettered_and_the_consumer_keeps_going(bus, clock, topology, rows):
    before = dead_letters(topology)
    good = new_event("code.issued", issued(clock), producer="test", now=clock.now()).to_message()
    bad = {**good, "event_id": str(uuid.uuid4()),
           "payload": {**good["payload"], "code_digest": "not-a-digest"}}
    bus.send(bad, "code.issued", wait=False)
    bus.send({"type": "auth_key.mailed"}, "auth_key.mailed", wait=False)
    bus.send(good, "code.issued")
    eventually(lambda: dead_letters(topology) == before + 2)
    assert rows("codes") == 1
