"""R15 forgotten password: ask for a reset (email, job-seeker number, birth date), then
complete it with the mailed reset key and a new password; and what the notifier reports
of the reset-key mail (notice.* of kind `password_reset_key`).

The reset key follows R10's rules (domain.auth_key_valid_until: 50 minutes from the mail's
delivery, from its issue while that is unknown; `auth_key_max_failures` wrong keys void
it); the request's answer is the same in body and in work whether or not anything matched.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from psycopg import Connection
from psycopg_pool import ConnectionPool

from registration import domain, inputs, messages
from registration.commands import (
    Caller,
    CompletePasswordReset,
    RecordNoticeDelivery,
    RecordNoticeDeliveryFailure,
    RequestPasswordReset,
)
from registration.config import Config
from registration.events import account_password_changed
from registration.limits import Limits
from registration.passwords import COMMON_PASSWORDS, Passwords
from registration.store import audit, resets
from registration.usecases import sessions
from shared.clock import Clock, iso
from shared.contracts import formats, tasks
from shared.errors import Refused
from shared.outbox import add_event, add_task
from shared.tokens import keyed_digest, random_crockford, random_token, same_digest

KIND = "password_reset_key"  # the key mail's kind (shared.contracts.tasks.KEY_MAIL_KINDS)
NOT_FOUND = "RESET_NOT_FOUND"
# Who a mail that is never sent would have gone to: it only passes the task's schema, so
# the answer without a match does the same work as the one with a mail.
_NOBODY = "nobody@example.invalid"


def request_reset(pool: ConnectionPool, cmd: RequestPasswordReset, now: datetime, *,
                  config: Config, caller: Caller) -> dict[str, str]:
    """A reset token and its key's deadline, always: with a mailed key when the email,
    number and birth date match one account and it had fewer than
    `reset_mails_per_account_per_hour` reset mails in the last hour; else a token that
    leads nowhere. One transaction, the same statements either way; and since writing a
    row still costs more than not writing it, the answer leaves no sooner than
    `reset_answer_floor_ms` after the request began, whichever way it went (waiting with
    no database connection held)."""
    started = time.monotonic()
    token = random_token(32)  # 256 bits; only its digest is kept, and only with a mail
    key = random_crockford(formats.KEY_LENGTH)
    reset_id = uuid.uuid4()
    valid_until = domain.auth_key_valid_until(now, None, config.auth_key_minutes)
    with pool.connection() as conn, conn.transaction():
        account = resets.account_for_reset(conn, cmd.email, cmd.job_seeker_number,
                                           cmd.birth_date)
        account_id = account["account_id"] if account else None
        mails = resets.mails_since(conn, account_id, domain.mail_window_start(now))
        mail = account is not None and mails < config.reset_mails_per_account_per_hour
        resets.void_open_resets(conn, account_id, now, keep=mail)
        resets.insert_reset(conn, {
            "reset_id": reset_id, "account_id": account_id,
            "token_digest": keyed_digest(config.digest_secret, token, "reset_token"),
            "key_digest": keyed_digest(config.digest_secret, key, "reset_key"),
            "issued_at": now}, keep=mail)
        kwargs = {"mail_id": str(reset_id), "kind": KIND,
                  "email": account["email"] if mail else _NOBODY, "key": key,
                  "language": caller.language, "issued_at": iso(now),
                  "valid_until": iso(valid_until)}
        if mail:
            add_task(conn, task=tasks.SEND_KEY_MAIL, kwargs=kwargs,
                     namespace=config.bus_namespace, now=now,
                     correlation_id=caller.correlation_id)
        else:
            tasks.check_arguments(tasks.SEND_KEY_MAIL, kwargs)
            resets.decoy_task(conn)
        outcome = "MAILED" if mail else "MAIL_LIMIT_REACHED" if account else "NO_MATCH"
        _audit(conn, outcome, now, caller, account_id)
    time.sleep(max(0.0, started + config.reset_answer_floor_ms / 1000 - time.monotonic()))
    return {"reset_token": token, "reset_key_expires_at": iso(valid_until)}


def complete_reset(
    pool: ConnectionPool, cmd: CompletePasswordReset, now: datetime, *, config: Config,
    passwords: Passwords, limits: Limits, clock: Clock, caller: Caller,
) -> dict[str, str]:
    """The new password set: the account's email. Like step 3, two short transactions
    around argon2 (the current password's check and the new hash), the second re-checking
    under row locks, so that of two completions racing with the right key one wins."""
    token_digest = keyed_digest(config.digest_secret, cmd.reset_token, "reset_token")
    key_digest = keyed_digest(config.digest_secret, cmd.reset_key, "reset_key")
    with pool.connection() as conn, conn.transaction():
        refusal, reset = _check(conn, cmd, token_digest, key_digest, now, config, caller)
    if refusal is not None:
        raise refusal
    # R15: not the current password. Outside any transaction, as is the new hash.
    if passwords.verify(reset["password_hash"], cmd.password):
        with pool.connection() as conn, conn.transaction():
            _audit(conn, "PASSWORD_UNCHANGED", now, caller, reset["account_id"])
        raise Refused("PASSWORD_UNCHANGED",
                      fields={"password": [messages.PASSWORD_IS_CURRENT]})
    password_hash = passwords.hash(cmd.password)
    with pool.connection() as conn, conn.transaction():
        refusal, done = _complete(conn, token_digest, key_digest, password_hash,
                                  clock.now(), config, caller)
    if refusal is not None:
        raise refusal
    # A person locked out by R13's throttle who reset the password logs in at once, as
    # after a successful login (the account's count is cleared).
    limits.clear("login-account", sessions.login_throttle_key(
        config, inputs.canonical_email(done["email"])))
    return done


def _check(conn, cmd: CompletePasswordReset, token_digest, key_digest, now, config, caller):
    reset = resets.reset_by_token(conn, token_digest)
    refusal = reset_refusal(reset, now, config)
    if refusal is None:
        problems = inputs.password_problems(
            cmd.password, cmd.password_confirmation, email=reset["email"],
            job_seeker_number=reset["job_seeker_number"], common=COMMON_PASSWORDS)
        if problems:  # bad input: refused, nothing counted
            return Refused("VALIDATION_FAILED", fields=problems), None
        refusal = _key_refusal(conn, reset, key_digest, now, config)
    if refusal is not None:
        _audit(conn, refusal.code, now, caller, reset["account_id"] if reset else None)
        return refusal, None
    return None, reset


def reset_refusal(reset: dict | None, now: datetime, config: Config) -> Refused | None:
    """Unknown (or the token of a request that matched nothing), voided, used or
    undeliverable: not found; past its 50 minutes: expired."""
    if reset is None or reset["status"] != "open":
        return Refused(NOT_FOUND)
    if domain.auth_key_expired(reset["issued_at"], reset["delivered_at"], now,
                               config.auth_key_minutes):
        return Refused("RESET_KEY_EXPIRED")
    return None


def attempts_left(failures: int, limit: int) -> int:
    """How many more wrong keys the reset takes before it is void."""
    return max(0, limit - failures)


def _key_refusal(conn, reset: dict, key_digest: str, now, config) -> Refused | None:
    """A wrong key counts; the `auth_key_max_failures`-th voids the reset (R15, as R10)."""
    if reset["key_digest"] and same_digest(reset["key_digest"], key_digest):
        return None
    count = resets.charge_key_failure(conn, reset["reset_id"], now,
                                      config.auth_key_max_failures)
    if count is None:  # voided or used meanwhile
        return Refused(NOT_FOUND)
    return Refused("RESET_KEY_MISMATCH", details={
        "attempts_left": attempts_left(count, config.auth_key_max_failures)})


def _complete(conn, token_digest, key_digest, password_hash, now, config, caller):
    """Everything of a completed reset in one transaction, under the account's lock, then
    the reset's (the order a reset request takes them), re-checked after the hashes."""
    peek = resets.reset_by_token(conn, token_digest)
    if peek is not None:
        resets.lock_account(conn, peek["account_id"])
    reset = resets.reset_by_token(conn, token_digest, lock=True)
    refusal = reset_refusal(reset, now, config)
    if refusal is None and not (reset["key_digest"] and same_digest(reset["key_digest"],
                                                                    key_digest)):
        refusal = Refused(NOT_FOUND)  # voided while we hashed
    if refusal is None and not resets.mark_used(conn, reset["reset_id"], now):
        refusal = Refused(NOT_FOUND)
    if refusal is not None:
        _audit(conn, refusal.code, now, caller, reset["account_id"] if reset else None)
        return refusal, None
    account_id = reset["account_id"]
    resets.set_password_hash(conn, account_id, password_hash)
    resets.end_account_sessions(conn, account_id, now)
    add_task(conn, task=tasks.SEND_NOTICE, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "notice_id": str(uuid.uuid4()), "kind": "password_changed",
                 "email": reset["email"], "language": caller.language,
                 "occurred_at": iso(now)})
    add_event(conn, account_password_changed(account_id, "reset", now, caller.correlation_id))
    _audit(conn, "COMPLETED", now, caller, account_id)
    return None, {"email": reset["email"]}


def _audit(conn, outcome: str, now, caller: Caller, account_id) -> None:
    audit.add_audit(conn, action="password_reset", client_address=caller.client_address,
                    outcome=outcome, now=now, correlation_id=caller.correlation_id,
                    account_id=account_id)


# --- what the notifier reports, in the inbox claim's transaction -------------------------
def record_key_mail_delivery(conn: Connection, cmd: RecordNoticeDelivery, now: datetime) -> None:
    """The reset key's 50 minutes start at its mail's delivery. Other kinds (R17's key
    mail, the notices) have nothing to record here."""
    if cmd.kind == KIND:
        resets.record_delivery(conn, cmd.notice_id, cmd.delivered_at)


def record_key_mail_failure(conn: Connection, cmd: RecordNoticeDeliveryFailure,
                            now: datetime) -> None:
    """An undeliverable reset-key mail closes its reset: completing it answers
    RESET_NOT_FOUND, and the person asks again."""
    if cmd.kind == KIND:
        resets.record_delivery_failure(conn, cmd.notice_id, cmd.reason, now)
