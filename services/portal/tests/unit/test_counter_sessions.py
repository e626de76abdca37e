"""Issue 13 item 1: the counter's server-side sessions, with the clock passed in."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from portal import domain
from portal.counter_sessions import CounterSessions, Ended, Ticket

from ..fakes import MemoryRecords

T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
HOURS8, MIN30 = timedelta(hours=8), timedelta(minutes=30)
KEY = "office-key-of-the-counter-0123456789"


@pytest.fixture
def records():
    return MemoryRecords()


@pytest.fixture
def sessions(records):
    return CounterSessions(records, absolute=HOURS8, idle=MIN30)


@pytest.mark.parametrize(("since", "seen", "now", "over"), [
    (T0, T0, T0, None),
    (T0, T0, T0 + MIN30 - timedelta(seconds=1), None),
    (T0, T0, T0 + MIN30, "idle"),
    (T0, T0 + HOURS8 - timedelta(minutes=1), T0 + HOURS8 - timedelta(seconds=1), None),
    (T0, T0 + HOURS8 - timedelta(minutes=1), T0 + HOURS8, "expired"),
    (T0, T0, T0 + HOURS8 + MIN30, "expired"),  # both over: the absolute limit names it
])
def test_item1_a_counter_session_ends_8_hours_after_sign_in_or_30_minutes_after_its_last_use(
        since, seen, now, over):
    assert domain.counter_session_over(since, seen, now, HOURS8, MIN30) == over


def test_item1_the_store_keeps_a_session_no_longer_than_its_idle_or_absolute_limit():
    assert domain.counter_session_seconds_left(T0, T0, HOURS8, MIN30) == 1800
    assert domain.counter_session_seconds_left(T0, T0 + timedelta(hours=7, minutes=50),
                                               HOURS8, MIN30) == 600
    assert domain.counter_session_seconds_left(T0, T0 + HOURS8 + MIN30, HOURS8, MIN30) == 1


def test_item1_the_office_key_is_neither_in_the_ticket_nor_in_the_store(sessions, records):
    ticket = sessions.start(KEY, T0)
    assert KEY not in json.dumps(ticket.cookie_value())
    assert KEY not in json.dumps(records.records)
    assert ticket.session_id not in json.dumps(records.records)  # stored under a digest
    assert list(records.records) == [ticket.name]
    assert records.seconds[ticket.name] == 1800
    assert sessions.open(ticket, T0).office_key == KEY


def test_item1_each_sign_in_gets_its_own_id_and_wrapping_key(sessions):
    first, second = sessions.start(KEY, T0), sessions.start(KEY, T0)
    assert first.session_id != second.session_id and first.wrapping_key != second.wrapping_key
    assert len(first.session_id) >= 43


def test_item1_the_store_alone_or_another_ticket_does_not_open_a_session(sessions, records):
    ticket = sessions.start(KEY, T0)
    other = sessions.start("another-office-key-0123456789abcdef", T0)
    with pytest.raises(Ended):
        sessions.open(Ticket(ticket.session_id, other.wrapping_key), T0)
    with pytest.raises(Ended):
        sessions.open(Ticket("guessed-" + ticket.session_id[8:], ticket.wrapping_key), T0)


def test_item1_each_use_moves_the_idle_limit_but_not_the_absolute_one(sessions, records):
    ticket = sessions.start(KEY, T0)
    now = T0
    while now + timedelta(minutes=25) < T0 + HOURS8:
        now += timedelta(minutes=25)
        assert sessions.open(ticket, now).office_key == KEY
    assert records.seconds[ticket.name] <= 1800
    with pytest.raises(Ended) as ended:
        sessions.open(ticket, T0 + HOURS8)
    assert ended.value.reason == "expired" and records.records == {}


def test_item1_an_idle_session_is_removed_when_next_seen(sessions, records):
    ticket = sessions.start(KEY, T0)
    with pytest.raises(Ended) as ended:
        sessions.open(ticket, T0 + MIN30)
    assert ended.value.reason == "idle" and records.records == {}
    with pytest.raises(Ended) as again:
        sessions.open(ticket, T0 + MIN30)
    assert again.value.reason == "signed_out"


def test_item1_ending_a_session_refuses_every_copy_of_its_ticket(sessions):
    ticket = sessions.start(KEY, T0)
    copy = Ticket.read(json.loads(json.dumps(ticket.cookie_value())))
    sessions.end(ticket)
    with pytest.raises(Ended) as ended:
        sessions.open(copy, T0 + timedelta(seconds=1))
    assert ended.value.reason == "signed_out"


def test_item1_the_number_looked_up_is_remembered_beside_the_session(sessions):
    ticket = sessions.start(KEY, T0)
    sessions.remember_number(ticket, "12345-1234567", T0 + timedelta(minutes=1))
    assert sessions.open(ticket, T0 + timedelta(minutes=2)).number == "12345-1234567"
    sessions.end(ticket)
    sessions.remember_number(ticket, "12345-1", T0 + timedelta(minutes=3))  # no revival
    with pytest.raises(Ended):
        sessions.open(ticket, T0 + timedelta(minutes=3))


@pytest.mark.parametrize("raw", [None, "text", {}, {"sid": 1, "wrap": "x"}, {"sid": "x"}])
def test_item1_a_malformed_cookie_part_is_no_ticket(raw):
    assert Ticket.read(raw) is None
