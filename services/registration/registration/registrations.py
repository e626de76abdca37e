"""Step 3 (R10-R12): check the auth key and the password, then open the account.

Two short transactions around the argon2id hash, so no row stays locked while it runs:
the first checks (and counts a wrong key), the second re-checks under row locks and
commits account, used code, closed application and both events together.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg
from psycopg import Connection
from psycopg_pool import ConnectionPool

from registration import account_store, code_store, domain, inputs, store
from registration.config import Config
from registration.events import account_registered, code_used
from registration.passwords import COMMON_PASSWORDS, Passwords
from registration.results import Caller, Outcome
from shared.clock import Clock
from shared.outbox import add_event
from shared.tokens import keyed_digest, same_digest

NOT_FOUND = Outcome(404, "APPLICATION_NOT_FOUND")


class _Lost(Exception):
    """Another transaction used the code first (R12)."""


def register_password(
    pool: ConnectionPool, form: dict[str, Any], clock: Clock, config: Config,
    passwords: Passwords, caller: Caller,
) -> Outcome:
    token_digest = keyed_digest(config.digest_secret, form["application_token"],
                                "application_token")
    key_digest = keyed_digest(config.digest_secret, form["auth_key"], "auth_key")
    with pool.connection() as conn, conn.transaction():
        application = store.application_by_token(conn, token_digest)
        refusal = _application_refusal(application, clock.now(), config)
        if refusal is None:
            problems = inputs.password_problems(
                form["password"], form["password_confirmation"], email=application["email"],
                job_seeker_number=application["job_seeker_number"], common=COMMON_PASSWORDS)
            if problems:  # bad input: 422, nothing written
                return Outcome(422, "VALIDATION_FAILED", fields=problems)
            refusal = _key_refusal(conn, application, key_digest, clock.now(), config)
        if refusal is not None:
            return _audited(conn, refusal, clock.now(), caller, application)
    password_hash = passwords.hash(form["password"])  # outside any transaction
    with pool.connection() as conn, conn.transaction():
        return _open_account(conn, token_digest, key_digest, password_hash, clock.now(),
                             config, caller)


def _application_refusal(application: dict | None, now: datetime, config: Config):
    if application is None or application["status"] in ("voided", "completed"):
        return NOT_FOUND
    if application["status"] == "undeliverable":
        return Outcome(410, "AUTH_KEY_NOT_DELIVERED")
    if application["status"] == "expired" or domain.auth_key_expired(
        application["issued_at"], application["delivered_at"], now, config.auth_key_minutes
    ):
        return Outcome(410, "AUTH_KEY_EXPIRED")
    return None


def _key_refusal(conn: Connection, application: dict, key_digest: str, now, config):
    """R10: a wrong key counts; the 5th voids the application (the code stays usable)."""
    if application["auth_key_digest"] and same_digest(application["auth_key_digest"], key_digest):
        return None
    count = store.charge_key_failure(conn, application["application_id"], now,
                                     config.auth_key_max_failures)
    return NOT_FOUND if count is None else Outcome(400, "AUTH_KEY_MISMATCH")


def _open_account(conn, token_digest, key_digest, password_hash, now, config, caller):
    """R12 in one transaction, re-checked under the code's and the application's locks.

    The code is locked first, as step 2 does, so the two can never deadlock."""
    peek = store.application_by_token(conn, token_digest)
    code = code_store.lock_code(conn, peek["code_id"]) if peek else None
    application = store.application_by_token(conn, token_digest, lock=True)
    refusal = _application_refusal(application, now, config)
    if refusal is None and not (application["auth_key_digest"] and same_digest(
            application["auth_key_digest"], key_digest)):
        refusal = NOT_FOUND  # closed and purged while we hashed
    if refusal is not None:
        return _audited(conn, refusal, now, caller, application)
    status = domain.code_status(code, now)
    if status != domain.ACTIVE:  # the code must still be usable at step 3
        return _audited(conn, Outcome(*domain.REFUSALS[status]), now, caller, application)
    account = {
        "account_id": uuid.uuid4(), "email": application["email"],
        "job_seeker_number": application["job_seeker_number"], "code_id": code.code_id,
        "password_hash": password_hash, "registered_at": now,
        "privacy_policy_version": application["privacy_policy_version"],
        "terms_of_use_version": application["terms_of_use_version"],
    }
    try:
        with conn.transaction():  # a savepoint: a lost race leaves nothing half-written
            if not code_store.mark_code_used(conn, code.code_id, account["account_id"], now):
                raise _Lost
            account_store.insert_account(conn, account)
    except _Lost:
        return _audited(conn, Outcome(409, "CODE_ALREADY_USED"), now, caller, application)
    except psycopg.errors.UniqueViolation:
        return _audited(conn, Outcome(409, "EMAIL_ALREADY_REGISTERED"), now, caller, application)
    store.close_application(conn, application["application_id"], "completed", now)
    add_event(conn, account_registered(account, caller.correlation_id))
    add_event(conn, code_used(code.code_id, account["account_id"], now, caller.correlation_id))
    body = {"account_id": str(account["account_id"]), "email": account["email"]}
    return _audited(conn, Outcome(201, "CREATED", body), now, caller, application,
                    account["account_id"])


def _audited(conn, outcome: Outcome, now, caller: Caller, application: dict | None,
             account_id=None) -> Outcome:
    store.add_audit(
        conn, action="password_registration", client_address=caller.client_address,
        outcome=outcome.code, now=now, correlation_id=caller.correlation_id,
        code_id=application["code_id"] if application else None,
        application_id=application["application_id"] if application else None,
        account_id=account_id)
    return outcome
