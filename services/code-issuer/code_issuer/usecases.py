"""One function per use case: the office's requests and the events the code-issuer consumes.

Each takes the caller's connection (inside its transaction) and `now`; state changes and
the events they cause are written together (transactional outbox).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import Connection

from code_issuer import domain, events, store
from code_issuer.config import Config
from shared.contracts.events import Event
from shared.outbox import add_event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issued:
    code_id: uuid.UUID
    code: str
    job_seeker_number: str
    birth_date: date
    issued_at: datetime
    expires_at: datetime
    superseded: list[uuid.UUID]


def issue_code(conn: Connection, config: Config, *, number: str, birth_date: date | None,
               now: datetime, correlation_id: str | None) -> Issued:
    """R1-R3: a new code for a person, superseding every earlier one, in one transaction."""
    store.lock_job_seeker(conn, number)
    known = store.get_job_seeker(conn, number)
    born = domain.birth_date_for_issue(known, birth_date)
    person = domain.known_after_issue(known, number, born, now)
    if person != known:
        store.save_job_seeker(conn, person, now)
    superseded = []
    for code in store.open_codes(conn, number):
        if _end(conn, code, "superseded", events.SUPERSEDED, now, correlation_id):
            superseded.append(code.code_id)
    plain, digest = _fresh_code(conn, config.digest_secret)
    code_id = uuid.uuid4()
    expires = domain.expires_at(now, config.tz, config.code_validity_days)
    store.insert_code(conn, code_id=code_id, number=number, birth_date=born, digest=digest,
                      issued_at=now, expires_at=expires)
    add_event(conn, events.code_issued(
        code_id=code_id, number=number, birth_date=born, digest=digest, issued_at=now,
        expires_at=expires, supersedes=superseded, now=now, correlation_id=correlation_id))
    return Issued(code_id, plain, number, born, now, expires, superseded)


def _fresh_code(conn: Connection, secret: str) -> tuple[str, str]:
    """A code whose digest no other code has (a 50-bit collision is rare, not impossible)."""
    for _ in range(5):
        plain = domain.new_code()
        digest = domain.code_digest(secret, plain)
        if not store.digest_exists(conn, digest):
            return plain, digest
    raise RuntimeError("could not draw an unused code")


def _end(conn: Connection, code: store.CodeRow, status: str, reason: str, now: datetime,
         correlation_id: str | None) -> bool:
    """End an open code and announce it with code.revoked; False if it had already died.

    A code past its expiry is recorded as expired (at its expiry), not revoked.
    """
    if domain.ending(status, code.expires_at, now) == "expired":
        store.end_code(conn, code.code_id, "expired", None, code.expires_at)
        return False
    if store.end_code(conn, code.code_id, status, reason, now) is None:
        return False
    add_event(conn, events.code_revoked(code.code_id, reason, now=now,
                                        correlation_id=correlation_id))
    return True


def revoke_code(conn: Connection, code_id: uuid.UUID, *, now: datetime,
                correlation_id: str | None) -> store.CodeRow:
    """Revoke by the office; only an active code can be revoked."""
    code = store.get_code(conn, code_id)
    if code is None:
        raise domain.Refused("CODE_NOT_FOUND")
    store.lock_job_seeker(conn, code.job_seeker_number)
    if not _end(conn, code, "revoked", events.REVOKED_BY_OFFICE, now, correlation_id):
        raise domain.Refused("CODE_NOT_ACTIVE")
    return store.get_code(conn, code_id)


def code_view(code: store.CodeRow, now: datetime) -> dict[str, Any]:
    """What the office sees of one code: its status now and, if it died, why and when."""
    status = domain.status(domain.CodeState(code.ended_status, code.expires_at), now)
    ended_at = code.ended_at
    if status == "expired" and ended_at is None:
        ended_at = code.expires_at
    return {
        "code_id": code.code_id, "job_seeker_number": code.job_seeker_number,
        "status": status, "reason": code.ended_reason, "ended_at": ended_at,
        "issued_at": code.issued_at, "expires_at": code.expires_at,
        "failed_attempts": code.failed_attempts, "used_at": code.used_at,
        "last_failure_at": code.last_failure_at, "last_failure_from": code.last_failure_from,
    }


def list_codes(conn: Connection, number: str, now: datetime) -> list[dict[str, Any]]:
    return [code_view(code, now) for code in store.codes_of(conn, number)]


# --- events from registration and the notifier ------------------------------------------
def _unknown_code(event: Event, code_id: uuid.UUID) -> None:
    # Every real code is committed here before its code.issued leaves the outbox, so an
    # event about an unknown code_id comes from elsewhere (another environment, a bad
    # producer): it is logged and dropped, not kept for later.
    log.warning("event about an unknown code ignored",
                extra={"event_type": event.type, "event_id": str(event.event_id),
                       "code_id": str(code_id)})


def on_code_invalidated(conn: Connection, event: Event, payload: dict) -> None:
    """R4 seen from the office: too many failed attempts killed the code."""
    if not store.record_failed_attempts(conn, payload["code_id"], payload["failed_attempts"]):
        return _unknown_code(event, payload["code_id"])
    store.end_code(conn, payload["code_id"], "invalidated", "too_many_attempts", event.occurred_at)


def on_code_failure_counted(conn: Connection, event: Event, payload: dict) -> None:
    """R4 as it happens: staff see each counted failure, when, and from where (masked)."""
    if not store.record_failure(conn, payload["code_id"], payload["failed_attempts"],
                                event.occurred_at, payload["client_address"]):
        return _unknown_code(event, payload["code_id"])


def on_code_used(conn: Connection, event: Event, payload: dict) -> None:
    """R12: the code opened an account (kept as a fact even if the code died otherwise)."""
    if not store.record_use(conn, payload["code_id"], payload["account_id"], payload["used_at"]):
        return _unknown_code(event, payload["code_id"])
    store.end_code(conn, payload["code_id"], "used", None, payload["used_at"])


def on_code_expired(conn: Connection, event: Event, payload: dict) -> None:
    """R2's timer: recorded unless the code already died otherwise."""
    if store.get_code(conn, payload["code_id"]) is None:
        return _unknown_code(event, payload["code_id"])
    store.end_code(conn, payload["code_id"], "expired", None, payload["expired_at"])


# --- events from office systems (issue 9) ------------------------------------------------
def on_job_seeker_registered(conn: Connection, event: Event, payload: dict, now: datetime) -> None:
    number = payload["job_seeker_number"]
    store.lock_job_seeker(conn, number)
    person = domain.after_registered(store.get_job_seeker(conn, number), number,
                                     payload["birth_date"], payload["office_id"], event.occurred_at)
    store.save_job_seeker(conn, person, now)
    for code in store.open_codes(conn, number):
        if domain.revoked_for_birth_date(code.birth_date, code.issued_at, person.birth_date, None):
            _end(conn, code, "revoked", events.HOLDER_CORRECTED, now, event.correlation_id)


def on_job_seeker_corrected(conn: Connection, event: Event, payload: dict, now: datetime) -> None:
    number = payload["job_seeker_number"]
    store.lock_job_seeker(conn, number)
    person = domain.after_corrected(store.get_job_seeker(conn, number), number,
                                    payload["birth_date"], event.occurred_at)
    store.save_job_seeker(conn, person, now)
    for code in store.open_codes(conn, number):
        if domain.revoked_for_birth_date(code.birth_date, code.issued_at, person.birth_date,
                                         event.occurred_at):
            _end(conn, code, "revoked", events.HOLDER_CORRECTED, now, event.correlation_id)


def on_job_seeker_closed(conn: Connection, event: Event, payload: dict, now: datetime) -> None:
    number = payload["job_seeker_number"]
    store.lock_job_seeker(conn, number)
    person = domain.after_closed(store.get_job_seeker(conn, number), number, payload["reason"],
                                 event.occurred_at)
    store.save_job_seeker(conn, person, now)
    for code in store.open_codes(conn, number):
        if domain.revoked_by_closing(code.issued_at, event.occurred_at, person.closed):
            _end(conn, code, "revoked", events.JOB_SEEKER_CLOSED, now, event.correlation_id)
