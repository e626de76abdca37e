"""The events the code-issuer consumes (consumer.py): registration's and the notifier's
`code.*` and `account.*`, and the office systems' `job_seeker.*`."""

from __future__ import annotations

from datetime import datetime

from psycopg import Connection

from code_issuer import commands, domain, events, store
from code_issuer.usecases.office import end_open_code


# --- events from registration and the notifier: False when the code is unknown here -------
def record_invalidation(conn: Connection, cmd: commands.RecordInvalidation, now: datetime) -> bool:
    """R4 seen from the office: too many failed attempts killed the code."""
    if not store.record_failed_attempts(conn, cmd.code_id, cmd.failed_attempts):
        return False
    store.end_code(conn, cmd.code_id, "invalidated", "too_many_attempts", cmd.invalidated_at)
    return True


def record_failure(conn: Connection, cmd: commands.RecordFailure, now: datetime) -> bool:
    """R4 as it happens: staff see each counted failure, when, and from where (masked)."""
    return store.record_failure(conn, cmd.code_id, cmd.failed_attempts,
                                last_failure_at=cmd.failed_at, last_failure_from=cmd.client_address)


def record_use(conn: Connection, cmd: commands.RecordUse, now: datetime) -> bool:
    """R12: the code opened an account (kept as a fact even if the code died otherwise)."""
    if not store.record_use(conn, cmd.code_id, cmd.account_id, cmd.used_at):
        return False
    store.end_code(conn, cmd.code_id, "used", None, cmd.used_at)
    return True


def record_expiry(conn: Connection, cmd: commands.RecordExpiry, now: datetime) -> bool:
    """R2's timer: recorded unless the code already died otherwise."""
    if store.get_code(conn, cmd.code_id) is None:
        return False
    store.end_code(conn, cmd.code_id, "expired", None, cmd.expired_at)
    return True


# --- events from registration about accounts (R12, R18) ------------------------------------
def record_account_registered(conn: Connection, cmd: commands.RecordAccountRegistered,
                              now: datetime) -> None:
    store.record_account_registered(conn, cmd.account_id, cmd.job_seeker_number,
                                    cmd.registered_at)


def record_account_closed(conn: Connection, cmd: commands.RecordAccountClosed,
                          now: datetime) -> None:
    store.record_account_closed(conn, cmd.account_id, cmd.job_seeker_number, cmd.closed_at)


# --- events from office systems (issue 9) --------------------------------------------------
def register_job_seeker(conn: Connection, cmd: commands.RegisterJobSeeker, now: datetime, *,
                        correlation_id: str | None = None) -> None:
    """Known (again) with this birth date: codes for another one are revoked."""
    number = cmd.job_seeker_number
    store.lock_job_seeker(conn, number)
    person = domain.after_registered(store.get_job_seeker(conn, number), number,
                                     cmd.birth_date, cmd.office_id, cmd.registered_at)
    store.save_job_seeker(conn, person, now)
    for code in store.open_codes(conn, number):
        if domain.revoked_for_birth_date(code.birth_date, code.issued_at, person.birth_date, None):
            end_open_code(conn, code, "revoked", events.HOLDER_CORRECTED, now, correlation_id)


def correct_job_seeker(conn: Connection, cmd: commands.CorrectJobSeeker, now: datetime, *,
                       correlation_id: str | None = None) -> None:
    """A corrected birth date: codes issued before it, or for another date, are revoked."""
    number = cmd.job_seeker_number
    store.lock_job_seeker(conn, number)
    person = domain.after_corrected(store.get_job_seeker(conn, number), number,
                                    cmd.birth_date, cmd.corrected_at)
    store.save_job_seeker(conn, person, now)
    for code in store.open_codes(conn, number):
        if domain.revoked_for_birth_date(code.birth_date, code.issued_at, person.birth_date,
                                         cmd.corrected_at):
            end_open_code(conn, code, "revoked", events.HOLDER_CORRECTED, now, correlation_id)


def close_job_seeker(conn: Connection, cmd: commands.CloseJobSeeker, now: datetime, *,
                     correlation_id: str | None = None) -> None:
    """No longer a job seeker: codes are revoked and none issued until registered again."""
    number = cmd.job_seeker_number
    store.lock_job_seeker(conn, number)
    person = domain.after_closed(store.get_job_seeker(conn, number), number, cmd.reason,
                                 cmd.closed_at)
    store.save_job_seeker(conn, person, now)
    for code in store.open_codes(conn, number):
        if domain.revoked_by_closing(code.issued_at, cmd.closed_at, person.closed):
            end_open_code(conn, code, "revoked", events.JOB_SEEKER_CLOSED, now, correlation_id)
