"""The consumer's handlers are exactly the contract's subscriptions, and office systems'
events are read more leniently than the catalog where they are meant to be."""

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from code_issuer import schemas
from code_issuer.consumer import handlers
from marshmallow import ValidationError

from shared.clock import FixedClock
from shared.contracts.events import Event, read_payload
from shared.contracts.subscriptions import SUBSCRIPTIONS

TOKYO = ZoneInfo("Asia/Tokyo")
# 2026-04-02 00:30 in Tokyo, still 2026-04-01 in UTC
SENT = datetime(2026, 4, 1, 15, 30, tzinfo=UTC)


def event(type_: str, payload: dict) -> Event:
    return Event(uuid.uuid4(), type_, SENT, "office-system", "c-1", payload)


def test_the_handlers_are_exactly_the_code_issuers_subscriptions():
    callbacks = handlers.dispatch(pool=None, clock=FixedClock(SENT), tz=TOKYO)
    assert set(callbacks) == set(SUBSCRIPTIONS["code_issuer"])


def test_r7_office_events_normalise_full_width_numbers_the_catalog_would_refuse():
    payload = {"job_seeker_number": "１２３４５－１２３", "birth_date": "1990-01-02",
               "office_id": "13001", "unexpected": "ignored"}
    read = read_payload(event("job_seeker.registered", payload), schemas.JobSeekerRegisteredIn())
    assert read == {"job_seeker_number": "12345-123", "birth_date": date(1990, 1, 2),
                    "office_id": "13001"}
    with pytest.raises(ValidationError):
        read_payload(event("job_seeker.registered", payload), ("job_seeker_number",))
    for schema in (schemas.JobSeekerCorrectedIn(), schemas.JobSeekerClosedIn()):
        assert schema.load({"job_seeker_number": "12345ー123", "birth_date": "1990-01-02",
                            "reason": "employed"}, unknown="exclude")["job_seeker_number"] == "12345-123"


def test_a_birth_date_is_checked_against_the_office_day_the_event_was_sent():
    sent = event("job_seeker.corrected", {})
    schemas.born_before_the_event({"birth_date": date(2026, 4, 1)}, sent, tz=TOKYO)
    with pytest.raises(ValidationError):
        schemas.born_before_the_event({"birth_date": date(2026, 4, 1)}, sent, tz=ZoneInfo("UTC"))
    with pytest.raises(ValidationError):
        schemas.born_before_the_event({"birth_date": date(2026, 4, 2)}, sent, tz=TOKYO)
    with pytest.raises(ValidationError):
        schemas.born_before_the_event({"birth_date": date(1899, 12, 31)}, sent, tz=TOKYO)


@pytest.mark.parametrize("type_", ["job_seeker.registered", "job_seeker.corrected"])
def test_the_consumer_checks_birth_dates_in_the_configured_office_time_zone(type_):
    callbacks = handlers.dispatch(pool=None, clock=FixedClock(SENT), tz=ZoneInfo("UTC"))
    payload = {"job_seeker_number": "12345-123", "birth_date": "2026-04-01", "office_id": "1"}
    with pytest.raises(ValidationError):  # refused before the database is reached
        callbacks[type_](event(type_, payload))
