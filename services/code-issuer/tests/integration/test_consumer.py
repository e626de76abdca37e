import uuid
from datetime import timedelta

import pytest

from shared.clock import iso
from testsupport import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def code(office):
    return office.issue().get_json()


def status_is(office, code_id, status):
    return lambda: office.status(code_id)["status"] == status


def test_code_invalidated_shows_too_many_attempts_and_the_failures(office, bus, consumer, code, clock):
    bus.event("code.invalidated", {"code_id": uuid.UUID(code["code_id"]), "reason": "too_many_attempts",
                                   "failed_attempts": 10}, clock.now())
    eventually(status_is(office, code["code_id"], "invalidated"))
    view = office.status(code["code_id"])
    assert view["failed_attempts"] == 10 and view["reason"] == "too_many_attempts"
    assert view["ended_at"] == iso(clock.now())


def test_code_used_shows_used_with_its_time(office, bus, consumer, code, clock):
    used_at = clock.now() + timedelta(hours=1)
    bus.event("code.used", {"code_id": uuid.UUID(code["code_id"]), "account_id": uuid.uuid4(),
                            "used_at": used_at}, used_at)
    eventually(status_is(office, code["code_id"], "used"))
    assert office.status(code["code_id"])["used_at"] == iso(used_at)


def test_code_expired_shows_expired(office, bus, consumer, code, clock):
    bus.event("code.expired", {"code_id": uuid.UUID(code["code_id"]), "expired_at": clock.now()},
              clock.now())
    eventually(status_is(office, code["code_id"], "expired"))


def test_a_later_event_does_not_resurrect_or_rename_a_dead_code(office, bus, consumer, code, clock):
    code_id = uuid.UUID(code["code_id"])
    assert office.revoke(code_id).status_code == 200
    used_at = clock.now() + timedelta(minutes=1)
    bus.event("code.used", {"code_id": code_id, "account_id": uuid.uuid4(), "used_at": used_at}, used_at)
    bus.event("code.expired", {"code_id": code_id, "expired_at": clock.now()}, clock.now())
    eventually(lambda: consumer.handled >= 2)
    view = office.status(code_id)
    assert view["status"] == "revoked" and view["reason"] == "revoked_by_office"
    assert view["used_at"] == iso(used_at)  # the fact that it opened an account is kept


def test_a_duplicated_event_is_ignored(office, bus, consumer, code, clock, pool):
    message = bus.event("code.invalidated", {"code_id": uuid.UUID(code["code_id"]),
                                             "reason": "too_many_attempts", "failed_attempts": 10},
                        clock.now())
    bus.publish(message, "code.invalidated")
    eventually(lambda: consumer.handled >= 2)
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 1
    assert office.status(code["code_id"])["status"] == "invalidated"


def test_an_event_about_an_unknown_code_is_ignored(office, bus, consumer, code, clock):
    bus.event("code.used", {"code_id": uuid.uuid4(), "account_id": uuid.uuid4(),
                            "used_at": clock.now()}, clock.now())
    bus.event("code.expired", {"code_id": uuid.UUID(code["code_id"]), "expired_at": clock.now()},
              clock.now())
    eventually(status_is(office, code["code_id"], "expired"))
    assert consumer.handled == 2 and bus.dead_letters() == 0


def test_malformed_events_are_dead_lettered_and_the_consumer_keeps_going(office, bus, consumer, code,
                                                                          clock):
    good = bus.event("code.expired", {"code_id": uuid.uuid4(), "expired_at": clock.now()}, clock.now())
    no_envelope = {"type": "code.used", "payload": {"code_id": code["code_id"]}}
    bad_payload = {**good, "event_id": str(uuid.uuid4()), "type": "code.used",
                   "payload": {"code_id": "not-a-uuid", "account_id": str(uuid.uuid4()),
                               "used_at": iso(clock.now())}}
    naive_time = {**good, "event_id": str(uuid.uuid4()),
                  "payload": {"code_id": code["code_id"], "expired_at": "2026-04-01T00:00:00"}}
    for body, key in ((no_envelope, "code.used"), (bad_payload, "code.used"),
                      (naive_time, "code.expired"), ("just a string", "code.used")):
        bus.publish(body, key)
    bus.event("code.invalidated", {"code_id": uuid.UUID(code["code_id"]), "reason": "too_many_attempts",
                                   "failed_attempts": 10}, clock.now())
    eventually(status_is(office, code["code_id"], "invalidated"))
    eventually(lambda: bus.dead_letters() == 4)
