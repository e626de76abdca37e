"""Issue 9: office systems' job_seeker.* events into the code-issuer."""

import uuid
from datetime import date, timedelta

import pytest

from testsupport import eventually

pytestmark = pytest.mark.integration

NUMBER = "12345-1234567"
BORN = date(1990, 1, 2)


def registered(bus, at, birth_date=BORN, number=NUMBER):
    return bus.event("job_seeker.registered", {"job_seeker_number": number, "birth_date": birth_date,
                                               "office_id": "13001"}, at)


def corrected(bus, at, birth_date, number=NUMBER):
    return bus.event("job_seeker.corrected", {"job_seeker_number": number, "birth_date": birth_date}, at)


def closed(bus, at, number=NUMBER):
    return bus.event("job_seeker.closed", {"job_seeker_number": number, "reason": "employed"}, at)


def handled(consumer, count):
    eventually(lambda: consumer.handled >= count)


def revocations(relay, published):
    relay.run_once()
    return [e["payload"] for e in published.of_type("code.revoked")]


def test_registered_person_can_get_a_code_with_the_number_alone(office, bus, consumer, clock,
                                                                 relay, published):
    registered(bus, clock.now())
    handled(consumer, 1)
    clock.advance(seconds=1)
    response = office.issue(birth_date=None)
    assert response.status_code == 201
    relay.run_once()
    issued = eventually(lambda: published.of_type("code.issued"))
    assert issued[0]["payload"]["birth_date"] == "1990-01-02"
    assert office.issue(birth_date="1990-01-02").status_code == 201


def test_registered_person_with_another_birth_date_is_409_and_no_code_is_issued(office, bus, consumer,
                                                                              clock, pool):
    registered(bus, clock.now())
    handled(consumer, 1)
    response = office.issue(birth_date="1991-01-02")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "BIRTH_DATE_MISMATCH"
    assert office.codes() == []
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_corrected_revokes_the_active_code_as_holder_corrected(office, bus, consumer, clock, relay,
                                                               published):
    registered(bus, clock.now())
    handled(consumer, 1)
    clock.advance(minutes=1)
    old = office.issue(birth_date=None).get_json()
    clock.advance(minutes=1)
    corrected(bus, clock.now(), date(1990, 1, 3))
    handled(consumer, 2)
    view = office.status(old["code_id"])
    assert (view["status"], view["reason"]) == ("revoked", "holder_corrected")
    assert revocations(relay, published) == [{"code_id": old["code_id"], "reason": "holder_corrected"}]
    assert office.issue(birth_date="1990-01-02").status_code == 409
    clock.advance(minutes=1)
    new = office.issue(birth_date=None).get_json()
    relay.run_once()
    issued = eventually(lambda: len(published.of_type("code.issued")) == 2 and published.of_type("code.issued"))
    assert issued[-1]["payload"]["birth_date"] == "1990-01-03"
    assert issued[-1]["payload"]["code_id"] == new["code_id"]


def test_corrected_twice_does_not_revoke_the_code_reissued_after_the_first(office, bus, consumer,
                                                                           clock, relay, published):
    registered(bus, clock.now())
    office.issue()
    clock.advance(minutes=1)
    first = corrected(bus, clock.now(), date(1990, 1, 3))
    handled(consumer, 2)
    clock.advance(minutes=1)
    reissued = office.issue(birth_date="1990-01-03").get_json()
    bus.publish(first, "job_seeker.corrected")  # redelivered
    second = {**first, "event_id": str(uuid.uuid4())}  # the office sent the same correction again
    bus.publish(second, "job_seeker.corrected")
    handled(consumer, 4)
    assert office.status(reissued["code_id"])["status"] == "active"
    assert len(revocations(relay, published)) == 1


def test_closed_revokes_active_codes_and_refuses_issuing_until_registered_again(
        office, bus, consumer, clock, relay, published):
    code = office.issue().get_json()  # an office without the integration recorded the person
    clock.advance(minutes=1)
    closed(bus, clock.now())
    handled(consumer, 1)
    view = office.status(code["code_id"])
    assert (view["status"], view["reason"]) == ("revoked", "job_seeker_closed")
    assert revocations(relay, published) == [{"code_id": code["code_id"], "reason": "job_seeker_closed"}]
    refused = office.issue()
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "JOB_SEEKER_CLOSED"
    en = office.issue(**{"Accept-Language": "en"}).get_json()["error"]["message"]
    assert "registration has ended" in en
    clock.advance(minutes=1)
    registered(bus, clock.now())
    handled(consumer, 2)
    assert office.issue(birth_date=None).status_code == 201


def test_closed_before_its_registered_leaves_the_person_closed(office, bus, consumer, clock):
    at = clock.now()
    closed(bus, at + timedelta(seconds=5))
    registered(bus, at)  # sent earlier, delivered later
    handled(consumer, 2)
    assert office.issue(birth_date=None).get_json()["error"]["code"] == "JOB_SEEKER_CLOSED"


def test_reordered_corrections_converge_on_the_newest(office, bus, consumer, clock):
    at = clock.now()
    registered(bus, at - timedelta(minutes=2))
    corrected(bus, at, date(1990, 1, 4))
    corrected(bus, at - timedelta(minutes=1), date(1990, 1, 3))  # older, delivered last
    handled(consumer, 3)
    assert office.issue(birth_date="1990-01-03").status_code == 409
    assert office.issue(birth_date="1990-01-04").status_code == 201


def test_duplicated_office_events_change_nothing(office, bus, consumer, clock, relay, published, pool):
    registered(bus, clock.now())
    handled(consumer, 1)
    office.issue(birth_date=None)
    clock.advance(minutes=1)
    message = closed(bus, clock.now())
    bus.publish(message, "job_seeker.closed")
    handled(consumer, 3)
    assert len(revocations(relay, published)) == 1
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 2


def test_person_never_announced_is_issued_with_number_and_birth_date_and_recorded(office, pool, clock):
    assert office.issue(birth_date=None).status_code == 422
    assert office.issue().status_code == 201
    clock.advance(seconds=1)
    assert office.issue(birth_date=None).status_code == 201  # known now
    clock.advance(seconds=1)
    # No event integration: a corrected birth date typed at the counter replaces the old one
    # once staff confirm it (issue 17).
    refused = office.issue(birth_date="1990-01-03")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "BIRTH_DATE_DIFFERS"
    assert office.issue(birth_date="1990-01-03", confirmed=True).status_code == 201
    with pool.connection() as conn:
        row = conn.execute("SELECT birth_date, announced FROM job_seekers").fetchone()
    assert row == (date(1990, 1, 3), False)
    assert [c["status"] for c in office.codes()] == ["active", "superseded", "superseded"]


def test_malformed_office_events_are_dead_lettered_and_the_consumer_keeps_going(bus, consumer, clock,
                                                                               office):
    good = registered(bus, clock.now(), number="12345-9")
    bad = [
        {**good, "event_id": str(uuid.uuid4()), "payload": {"job_seeker_number": "1-2",
                                                            "birth_date": "1990-01-02", "office_id": "1"}},
        {**good, "event_id": str(uuid.uuid4()), "payload": {"job_seeker_number": NUMBER,
                                                            "birth_date": "2999-01-01", "office_id": "1"}},
        {**good, "event_id": str(uuid.uuid4()), "payload": {"job_seeker_number": NUMBER,
                                                            "birth_date": "1990-02-30", "office_id": "1"}},
        {**good, "event_id": str(uuid.uuid4()), "payload": {"job_seeker_number": NUMBER,
                                                            "birth_date": "1990-01-02"}},
    ]
    for body in bad:
        bus.publish(body, "job_seeker.registered")
    bus.publish({**good, "type": "job_seeker.closed", "event_id": str(uuid.uuid4()),
                 "payload": {"job_seeker_number": NUMBER, "reason": ""}}, "job_seeker.closed")
    registered(bus, clock.now(), number="12345-8")
    eventually(lambda: bus.dead_letters() == 5)
    handled(consumer, 2)
    assert office.issue(number="12345-8", birth_date=None).status_code == 201
    assert office.issue(birth_date=None).status_code == 422  # nothing was recorded for NUMBER
