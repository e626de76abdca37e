"""The office's requests (api.py): issue (idempotently), revoke, list, show a person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import Connection

from code_issuer import commands, domain, events, store
from code_issuer.config import Config
from shared.errors import Refused
from shared.outbox import add_event
from shared.tokens import keyed_digest, same_digest


@dataclass(frozen=True)
class Issued:
    code_id: uuid.UUID
    code: str | None  # None when an idempotency key's earlier answer is given again
    job_seeker_number: str
    birth_date: date
    issued_at: datetime
    expires_at: datetime
    superseded: list[uuid.UUID]
    already_issued: bool = False
    status: str = domain.ACTIVE



def issue_code(conn: Connection, cmd: commands.IssueCode, now: datetime, *, config: Config,
               office_key_digest: str = "", correlation_id: str | None = None) -> Issued:
    """R1-R3: a new code for a person, superseding every earlier one, in one transaction.

    With an idempotency key (DESIGN §4), the key's first issue within 24 hours is answered
    again, without its plain code, instead of issuing anew; the same key with another
    person or birth date is refused. Simultaneous submissions of one key queue on a lock,
    so exactly one of them issues.
    """
    if cmd.idempotency_key is None:
        return _issue(conn, cmd, now, config=config, correlation_id=correlation_id)
    secret = config.digest_secret
    key_digest = keyed_digest(secret, cmd.idempotency_key, "idempotency-key")
    request_digest = keyed_digest(
        secret, domain.issue_request_value(cmd.job_seeker_number, cmd.birth_date), "issue-request")
    store.lock_issue_request(conn, office_key_digest, key_digest)
    earlier = store.get_issue_request(conn, office_key_digest, key_digest)
    if earlier is not None and domain.honoured(earlier.created_at, now):
        if not same_digest(earlier.request_digest, request_digest):
            raise Refused("IDEMPOTENCY_KEY_REUSED")
        code = store.get_code(conn, earlier.code_id)
        return Issued(code.code_id, None, code.job_seeker_number, code.birth_date,
                      code.issued_at, code.expires_at, list(earlier.superseded),
                      already_issued=True, status=code_view(code, now)["status"])
    issued = _issue(conn, cmd, now, config=config, correlation_id=correlation_id)
    store.purge_issue_requests(conn, now - domain.IDEMPOTENCY_WINDOW)
    store.save_issue_request(conn, office_key_digest=office_key_digest, key_digest=key_digest,
                             request_digest=request_digest, code_id=issued.code_id,
                             superseded=issued.superseded, created_at=now)
    return issued


def _issue(conn: Connection, cmd: commands.IssueCode, now: datetime, *, config: Config,
           correlation_id: str | None) -> Issued:
    number = cmd.job_seeker_number
    store.lock_job_seeker(conn, number)
    known = store.get_job_seeker(conn, number)
    born = domain.birth_date_for_issue(known, cmd.birth_date, cmd.birth_date_confirmed)
    person = domain.known_after_issue(known, number, born, now)
    if person != known:
        store.save_job_seeker(conn, person, now)
    superseded = []
    for code in store.open_codes(conn, number):
        if end_open_code(conn, code, "superseded", events.SUPERSEDED, now, correlation_id):
            superseded.append(code.code_id)
    plain, digest = _fresh_code(conn, config.digest_secret)
    code_id = uuid.uuid4()
    expires = domain.expires_at(now, config.tz, config.code_validity_days)
    store.insert_code(conn, code_id=code_id, job_seeker_number=number, birth_date=born,
                      code_digest=digest, issued_at=now, expires_at=expires)
    add_event(conn, events.code_issued(
        code_id=code_id, job_seeker_number=number, birth_date=born, code_digest=digest,
        issued_at=now, expires_at=expires, supersedes=superseded, now=now,
        correlation_id=correlation_id))
    return Issued(code_id, plain, number, born, now, expires, superseded)


def show_job_seeker(conn: Connection, cmd: commands.ShowJobSeeker, now: datetime) -> dict[str, Any]:
    """R12 at the counter: what the offices told of the person, and their account."""
    number = cmd.job_seeker_number
    person = store.get_job_seeker(conn, number)
    status, since = domain.account_status(store.accounts_of(conn, number))
    return {
        "job_seeker_number": number, "known": person is not None,
        "birth_date": person.birth_date if person else None,
        "closed": bool(person and person.closed),
        "account_status": status, "account_since": since,
    }


def revoke_code(conn: Connection, cmd: commands.RevokeCode, now: datetime, *,
                correlation_id: str | None = None) -> dict[str, Any]:
    """Revoke by the office; only an active code can be revoked. Returns its view."""
    code = store.get_code(conn, cmd.code_id)
    if code is None:
        raise Refused("CODE_NOT_FOUND")
    store.lock_job_seeker(conn, code.job_seeker_number)
    if not end_open_code(conn, code, "revoked", events.REVOKED_BY_OFFICE, now, correlation_id):
        raise Refused("CODE_NOT_ACTIVE")
    return code_view(store.get_code(conn, cmd.code_id), now)


def list_codes(conn: Connection, cmd: commands.ListCodes, now: datetime) -> list[dict[str, Any]]:
    """A person's codes, newest first, each with its status now."""
    return [code_view(code, now) for code in store.codes_of(conn, cmd.job_seeker_number)]


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


def _fresh_code(conn: Connection, secret: str) -> tuple[str, str]:
    """A code whose digest no other code has (a 50-bit collision is rare, not impossible)."""
    for _ in range(5):
        plain = domain.new_code()
        digest = domain.code_digest(secret, plain)
        if not store.digest_exists(conn, digest):
            return plain, digest
    raise RuntimeError("could not draw an unused code")


def end_open_code(conn: Connection, code: store.CodeRow, status: str, reason: str, now: datetime,
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
