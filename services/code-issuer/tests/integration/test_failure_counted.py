"""Issue 13 item 9, the office's side: code.failure_counted keeps GET /v1/codes' failure
count live, with when and from where (masked) the last failure came; duplicates change
nothing and out-of-order events converge to the highest count."""

import uuid
from datetime import timedelta

import pytest

from shared.clock import iso
from testsupport import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def code(office):
    return office.issue().get_json()


def failure(bus, code_id, count, address, at):
    return bus.event("code.failure_counted", {"code_id": uuid.UUID(code_id),
                                              "failed_attempts": count,
                                              "client_address": address}, at)


def test_item9_a_fresh_code_shows_no_failure(office, code):
    view = office.status(code["code_id"])
    assert (view["failed_attempts"], view["last_failure_at"], view["last_failure_from"]) == (
        0, None, None)


def test_item9_each_counted_failure_shows_at_once_with_when_and_where(office, bus, consumer,
                                                                      code, clock):
    first, second = clock.now(), clock.now() + timedelta(minutes=3)
    failure(bus, code["code_id"], 1, "203.0.113.0/24", first)
    eventually(lambda: office.status(code["code_id"])["failed_attempts"] == 1)
    failure(bus, code["code_id"], 2, "2001:db8:abcd::/48", second)
    eventually(lambda: office.status(code["code_id"])["failed_attempts"] == 2)
    view = office.status(code["code_id"])
    assert view["status"] == "active"
    assert (view["last_failure_at"], view["last_failure_from"]) == (iso(second),
                                                                    "2001:db8:abcd::/48")


def test_item9_a_duplicated_failure_event_changes_nothing(office, bus, consumer, code, clock,
                                                          pool):
    message = failure(bus, code["code_id"], 1, "203.0.113.0/24", clock.now())
    bus.publish(message, "code.failure_counted")
    eventually(lambda: consumer.handled >= 2)
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 1
    assert office.status(code["code_id"])["failed_attempts"] == 1


def test_item9_out_of_order_failures_converge_to_the_highest_count_and_its_origin(
        office, bus, consumer, code, clock):
    at = {n: clock.now() + timedelta(seconds=n) for n in range(1, 6)}
    for n in (3, 5, 1, 4, 2):
        failure(bus, code["code_id"], n, f"198.51.{n}.0/24", at[n])
    eventually(lambda: consumer.handled >= 5)
    view = office.status(code["code_id"])
    assert view["failed_attempts"] == 5
    assert (view["last_failure_at"], view["last_failure_from"]) == (iso(at[5]), "198.51.5.0/24")


def test_item9_the_tenth_failure_and_the_invalidation_agree_in_either_order(office, bus,
                                                                            consumer, clock):
    tenth = clock.now()
    orders = (("code.invalidated", "code.failure_counted"),
              ("code.failure_counted", "code.invalidated"))
    for number, order in zip(("12345-71", "12345-72"), orders, strict=True):
        code_id = office.issue(number=number).get_json()["code_id"]
        failure(bus, code_id, 9, "203.0.113.0/24", tenth - timedelta(seconds=1))
        for type_ in order:
            if type_ == "code.invalidated":
                bus.event(type_, {"code_id": uuid.UUID(code_id), "reason": "too_many_attempts",
                                  "failed_attempts": 10}, tenth)
            else:
                failure(bus, code_id, 10, "192.0.2.0/24", tenth)
        eventually(lambda c=code_id, n=number: office.status(c, n)["status"] == "invalidated"
                   and office.status(c, n)["last_failure_from"] == "192.0.2.0/24")
        view = office.status(code_id, number)
        assert (view["failed_attempts"], view["last_failure_at"], view["reason"]) == (
            10, iso(tenth), "too_many_attempts")


def test_item9_a_failure_about_an_unknown_code_is_ignored_and_bad_ones_dead_lettered(
        office, bus, consumer, code, clock):
    failure(bus, str(uuid.uuid4()), 1, "203.0.113.0/24", clock.now())
    bad = failure(bus, code["code_id"], 1, "203.0.113.0/24", clock.now())
    for payload in ({"client_address": "203.0.113.7"}, {"failed_attempts": -1},
                    {"failed_attempts": "many"}):
        bus.publish({**bad, "event_id": str(uuid.uuid4()),
                     "payload": {**bad["payload"], **payload}}, "code.failure_counted")
    eventually(lambda: bus.dead_letters() == 3)
    eventually(lambda: office.status(code["code_id"])["failed_attempts"] == 1)
    assert office.status(code["code_id"])["last_failure_from"] == "203.0.113.0/24"
