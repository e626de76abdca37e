"""Issue 13 item 9, registration's side: every counted step-2 failure is announced with
code.failure_counted (the new count and the masked client address), in the transaction
that counted it (outbox), so staff see failures long before the 10th."""

import uuid

import pytest

from shared.contracts.events import parse_envelope

pytestmark = pytest.mark.integration


@pytest.fixture
def wrong(client, good_body):
    """Step 2 with a wrong birth date (or other changes) from a given client address."""
    def wrong(code, number, address="203.0.113.7", **over):
        body = good_body(code, number, **{"birth_date": "1991-01-02", **over})
        response = client.post("/v1/applications", json=body,
                               headers={"X-Forwarded-For": address})
        assert response.status_code == 400, response.get_json()
        return response
    return wrong


def counted(conn, code_id=None):
    """The code.failure_counted payloads in registration's outbox, oldest first."""
    rows = conn.execute(
        "SELECT body FROM outbox WHERE destination = 'code.failure_counted' "
        "AND (%(id)s::text IS NULL OR body->'payload'->>'code_id' = %(id)s::text) ORDER BY id",
        {"id": str(code_id) if code_id else None}).fetchall()
    return [row[0]["payload"] for row in rows]


def test_item9_each_counted_failure_is_announced_with_the_new_count_and_a_masked_address(
        wrong, bus, conn):
    code_id, code, number = bus.issue()
    wrong(code, number, "203.0.113.7")
    wrong(code, number, "2001:db8:abcd:12::5")
    wrong(code, number, "198.51.100.200")
    assert counted(conn, code_id) == [
        {"code_id": str(code_id), "failed_attempts": 1, "client_address": "203.0.113.0/24"},
        {"code_id": str(code_id), "failed_attempts": 2, "client_address": "2001:db8:abcd::/48"},
        {"code_id": str(code_id), "failed_attempts": 3, "client_address": "198.51.100.0/24"},
    ]
    assert conn.execute("SELECT failed_attempts FROM codes WHERE code_id = %s",
                        (code_id,)).fetchone()[0] == 3


def test_item9_one_submission_counted_against_two_codes_announces_both(wrong, bus, conn):
    mine_id, _, number = bus.issue()
    other_id, other, _ = bus.issue()
    wrong(other, number, birth_date="1990-01-02")  # the other person's code under my number
    assert sorted((p["code_id"], p["failed_attempts"]) for p in counted(conn)) == sorted(
        [(str(mine_id), 1), (str(other_id), 1)])


def test_item9_nothing_is_announced_when_nothing_was_counted(wrong, client, good_body, bus,
                                                             conn):
    code_id, code, number = bus.issue()
    wrong("ABCDEFGHJK", f"{number[:5]}-99")  # unknown number and unknown code
    assert client.post("/v1/applications", json=good_body("ABCDE", number)).status_code == 422
    assert counted(conn) == []


def test_item9_the_tenth_failure_is_announced_and_also_invalidates(wrong, bus, conn,
                                                                   mailbox, published):
    code_id, code, number = bus.issue()
    for _ in range(11):  # the 11th is no longer counted: the code is dead
        wrong(code, number, "203.0.113.9")
    assert [p["failed_attempts"] for p in counted(conn, code_id)] == list(range(1, 11))
    mailbox.relay.run_once()
    events = [parse_envelope(e) for e in published.drain()]
    tenth = [e for e in events if e.payload.get("failed_attempts") == 10]
    assert sorted(e.type for e in tenth) == ["code.failure_counted", "code.invalidated"]
    assert all(e.producer == "registration" for e in tenth)
    assert len({e.correlation_id for e in tenth}) == 1  # the same request


def test_item9_the_event_goes_through_the_outbox_stamped_with_the_counts_time(wrong, bus, conn, client,
                                                                good_body):
    code_id, code, number = bus.issue()
    wrong(code, number)
    (row,) = conn.execute("SELECT created_at, body FROM outbox "
                          "WHERE destination = 'code.failure_counted'").fetchall()
    assert uuid.UUID(row[1]["event_id"]) and row[1]["producer"] == "registration"
    audit = conn.execute("SELECT occurred_at FROM audit_log WHERE code_id = %s "
                         "AND outcome = 'IDENTITY_MISMATCH'", (code_id,)).fetchone()[0]
    assert row[0] == audit  # the same `now`: one transaction
