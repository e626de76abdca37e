"""Step 3 (R10-R12): check the auth key and the password, then open the account.

Two short transactions around the argon2id hash, so no row stays locked while it runs:
the first checks (and counts a wrong key), the second re-checks under row locks and
commits account, used code, closed application, both events and the "registration
complete" notice mail together.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
from psycopg import Connection
from psycopg_pool import ConnectionPool

from registration import domain, inputs
from registration.commands import Caller, RegisterPassword
from registration.config import Config
from registration.events import account_registered, code_used
from registration.passwords import COMMON_PASSWORDS, Passwords
from registration.store import accounts, applications, audit, codes
from registration.usecases.clients import record_client
from shared.clock import Clock, iso
from shared.contracts import tasks
from shared.errors import Refused
from shared.outbox import add_event, add_task
from shared.tokens import keyed_digest, same_digest

NOT_FOUND = "APPLICATION_NOT_FOUND"


class _Lost(Exception):
    """Another transaction used the code first (R12)."""


def register_password(
    pool: ConnectionPool, cmd: RegisterPassword, now: datetime, *, config: Config,
    passwords: Passwords, clock: Clock, caller: Caller,
) -> dict[str, str]:
    """The account opened: its id and email. `now` is the request's time; the second
    transaction reads `clock` again, after the hash."""
    token_digest = keyed_digest(config.digest_secret, cmd.application_token,
                                "application_token")
    key_digest = keyed_digest(config.digest_secret, cmd.auth_key, "auth_key")
    with pool.connection() as conn, conn.transaction():
        refusal = _check(conn, cmd, token_digest, key_digest, now, config, caller)
    if refusal is not None:
        raise refusal
    password_hash = passwords.hash(cmd.password)  # outside any transaction
    with pool.connection() as conn, conn.transaction():
        refusal, account = _open_account(conn, token_digest, key_digest, password_hash,
                                         clock.now(), config, caller)
    if refusal is not None:
        raise refusal
    return account


def _check(conn, cmd: RegisterPassword, token_digest, key_digest, now, config,
           caller) -> Refused | None:
    application = applications.application_by_token(conn, token_digest)
    refusal = _application_refusal(application, now, config)
    if refusal is not None:
        return _audited(conn, Refused(refusal), now, caller, application)
    problems = inputs.password_problems(
        cmd.password, cmd.password_confirmation, email=application["email"],
        job_seeker_number=application["job_seeker_number"], common=COMMON_PASSWORDS)
    if problems:  # bad input: refused, nothing written
        return Refused("VALIDATION_FAILED", fields=problems)
    refused = _key_refusal(conn, application, key_digest, now, config)
    if refused is None and accounts.has_open_account(conn, application["job_seeker_number"]):
        refused = Refused("ACCOUNT_EXISTS")  # R12, before the hash (checked again after it)
    if refused is not None:
        return _audited(conn, refused, now, caller, application)
    return None


def _application_refusal(application: dict | None, now: datetime, config: Config) -> str | None:
    if application is None or application["status"] in ("voided", "completed"):
        return NOT_FOUND
    if application["status"] == "undeliverable":
        return "AUTH_KEY_NOT_DELIVERED"
    if application["status"] == "expired" or domain.auth_key_expired(
        application["issued_at"], application["delivered_at"], now, config.auth_key_minutes
    ):
        return "AUTH_KEY_EXPIRED"
    return None


def _key_refusal(conn: Connection, application: dict, key_digest: str, now,
                 config) -> Refused | None:
    """R10: a wrong key counts; the 5th voids the application (the code stays usable).
    The answer tells how many wrong keys remain (issue 17): 0 once this one voided it."""
    if application["auth_key_digest"] and same_digest(application["auth_key_digest"], key_digest):
        return None
    count = applications.charge_key_failure(conn, application["application_id"], now,
                                            config.auth_key_max_failures)
    if count is None:
        return Refused(NOT_FOUND)
    return Refused("AUTH_KEY_MISMATCH",
                   details={"attempts_left": max(0, config.auth_key_max_failures - count)})


def _open_account(conn, token_digest, key_digest, password_hash, now, config, caller):
    """R12 in one transaction, re-checked under the code's and the application's locks.

    The code is locked first, as step 2 does, so the two can never deadlock."""
    peek = applications.application_by_token(conn, token_digest)
    code = codes.lock_code(conn, peek["code_id"]) if peek else None
    application = applications.application_by_token(conn, token_digest, lock=True)
    refusal = _application_refusal(application, now, config)
    if refusal is None and not (application["auth_key_digest"] and same_digest(
            application["auth_key_digest"], key_digest)):
        refusal = NOT_FOUND  # closed and purged while we hashed
    if refusal is not None:
        return _audited(conn, Refused(refusal), now, caller, application), None
    status = domain.code_status(code, now)
    if status != domain.ACTIVE:  # the code must still be usable at step 3
        return _audited(conn, Refused(domain.REFUSALS[status]), now, caller, application), None
    # R12 again: an account opened for the number since step 2 (another code's application);
    # the unique index below settles two step 3s that pass this check at the same time.
    if accounts.has_open_account(conn, application["job_seeker_number"]):
        return _audited(conn, Refused("ACCOUNT_EXISTS"), now, caller, application), None
    account = {
        "account_id": uuid.uuid4(), "email": application["email"],
        "job_seeker_number": application["job_seeker_number"], "code_id": code.code_id,
        "password_hash": password_hash, "registered_at": now,
        "privacy_policy_version": application["privacy_policy_version"],
        "terms_of_use_version": application["terms_of_use_version"],
    }
    try:
        with conn.transaction():  # a savepoint: a lost race leaves nothing half-written
            if not codes.mark_code_used(conn, code.code_id, account["account_id"], now):
                raise _Lost
            accounts.insert_account(conn, account)
    except _Lost:
        return _audited(conn, Refused("CODE_ALREADY_USED"), now, caller, application), None
    except psycopg.errors.UniqueViolation as violation:
        taken = ("ACCOUNT_EXISTS" if violation.diag.constraint_name == accounts.ONE_OPEN_PER_NUMBER
                 else "EMAIL_ALREADY_REGISTERED")
        return _audited(conn, Refused(taken), now, caller, application), None
    applications.close_application(conn, application["application_id"], "completed", now)
    add_event(conn, account_registered(account, caller.correlation_id))
    add_event(conn, code_used(code.code_id, account["account_id"], now, caller.correlation_id))
    _notify_complete(conn, account, now, config, caller)
    record_client(conn, account["account_id"], caller, now)  # R20: the registering client is seen
    _audit(conn, "CREATED", now, caller, application, account["account_id"])
    return None, {"account_id": str(account["account_id"]), "email": account["email"]}


def _notify_complete(conn, account: dict, now: datetime, config: Config, caller: Caller) -> None:
    """Issue 17: the "registration complete" notice (with what to do if it was not them),
    handed to the notifier in the account's transaction."""
    add_task(conn, task=tasks.SEND_NOTICE, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "notice_id": str(uuid.uuid4()),
                 "kind": "registration_complete",
                 "email": account["email"],
                 "language": caller.language,
                 "occurred_at": iso(now),
             })


def _audited(conn, refused: Refused, now, caller: Caller, application: dict | None) -> Refused:
    _audit(conn, refused.code, now, caller, application)
    return refused


def _audit(conn, outcome: str, now, caller: Caller, application: dict | None,
           account_id=None) -> None:
    audit.add_audit(
        conn, action="password_registration", client_address=caller.client_address,
        outcome=outcome, now=now, correlation_id=caller.correlation_id,
        code_id=application["code_id"] if application else None,
        application_id=application["application_id"] if application else None,
        account_id=account_id)
