"""R17 email change, with a session: the current password and the new address (R6) mail a
key (R10's rules) to the new address; the key confirms it, if the address is still free
then (R6 at that moment, exact under concurrency through its unique index); a notice goes
to the old address and the account's other sessions end. And what the notifier reports of
the key mail (notice.* of kind `email_change_key`)."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

import psycopg
from psycopg import Connection
from psycopg_pool import ConnectionPool

from registration import domain, inputs, messages
from registration.commands import Caller, ConfirmEmailChange, RequestEmailChange, UseSession
from registration.config import Config
from registration.events import account_email_changed
from registration.limits import Limits
from registration.passwords import Passwords
from registration.store import account_changes, accounts, changes
from registration.usecases.account import (
    audit_change,
    check_current_password,
    locked_session_account,
    notice,
    session_account,
)
from registration.usecases.sessions import current_session
from shared.clock import Clock, iso
from shared.contracts import formats, tasks
from shared.errors import Refused
from shared.outbox import add_event, add_task
from shared.tokens import keyed_digest, random_crockford, random_token, same_digest

KIND = "email_change_key"  # the key mail's kind (shared.contracts.tasks.KEY_MAIL_KINDS)
NOT_FOUND = "CHANGE_NOT_FOUND"
ACTION = "email_change"


def request_change(
    pool: ConnectionPool, session: UseSession, cmd: RequestEmailChange, now: datetime, *,
    config: Config, passwords: Passwords, limits: Limits, clock: Clock, caller: Caller,
) -> dict[str, str]:
    """The change token and the key's deadline (issue + 50 minutes; its delivery moves it,
    R10). A new change voids the account's earlier open one."""
    account = session_account(pool, session, now, config=config)
    if inputs.canonical_email(cmd.email) == account["email_canonical"]:
        raise Refused("VALIDATION_FAILED", fields={"email": [messages.EMAIL_IS_CURRENT]})
    check_current_password(pool, account, cmd.current_password, now, config=config,
                           passwords=passwords, limits=limits, clock=clock, caller=caller,
                           action=ACTION)
    now = clock.now()
    token = random_token(32)  # 256 bits; only its digest is kept
    key = random_crockford(formats.KEY_LENGTH)
    change_id = uuid.uuid4()
    valid_until = domain.auth_key_valid_until(now, None, config.auth_key_minutes)
    with pool.connection() as conn, conn.transaction():
        locked = locked_session_account(conn, session, account, now, config=config)
        refusal = _mail_limit(conn, locked["account_id"], now, config)
        if refusal is None and accounts.email_registered(conn, cmd.email):
            refusal = Refused("EMAIL_ALREADY_REGISTERED")  # R6, told to the proven owner
        if refusal is not None:
            audit_change(conn, ACTION, refusal.code, now, caller, locked["account_id"])
        else:
            _open_change(conn, locked["account_id"], cmd.email, change_id, token, key, now,
                         valid_until, config, caller)
    if refusal is not None:
        raise refusal
    return {"change_token": token, "key_expires_at": iso(valid_until)}


def _open_change(conn, account_id, email: str, change_id, token: str, key: str, now,
                 valid_until, config: Config, caller: Caller) -> None:
    """The earlier open change voided, this one opened, its key mailed (outbox)."""
    changes.void_open_changes(conn, account_id, now)
    changes.insert_change(conn, {
        "change_id": change_id, "account_id": account_id, "new_email": email,
        "token_digest": keyed_digest(config.digest_secret, token, "change_token"),
        "key_digest": keyed_digest(config.digest_secret, key, "change_key"),
        "issued_at": now})
    add_task(conn, task=tasks.SEND_KEY_MAIL, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "mail_id": str(change_id), "kind": KIND, "email": email, "key": key,
                 "language": caller.language, "issued_at": iso(now),
                 "valid_until": iso(valid_until)})
    audit_change(conn, ACTION, "MAILED", now, caller, account_id)


def _mail_limit(conn, account_id, now: datetime, config: Config) -> Refused | None:
    """At most `email_change_mails_per_account_per_hour` key mails per account within the
    hour: a password and a session cannot make the service mail anyone at will."""
    mails = changes.mails_since(conn, account_id, domain.mail_window_start(now))
    limit = config.email_change_mails_per_account_per_hour
    if len(mails) < limit:
        return None
    wait = (mails[len(mails) - limit] + timedelta(hours=1) - now).total_seconds()
    return Refused("RATE_LIMITED", retry_after=max(1, math.ceil(wait)))


def change_refusal(change: dict | None, account_id, now: datetime,
                   config: Config) -> Refused | None:
    """Unknown, another account's, or closed (confirmed, voided, taken, undeliverable): not
    found; past its 50 minutes (R10, from delivery): expired."""
    if change is None or change["account_id"] != account_id or change["status"] != "open":
        return Refused(NOT_FOUND)
    if domain.auth_key_expired(change["issued_at"], change["delivered_at"], now,
                               config.auth_key_minutes):
        return Refused("CHANGE_KEY_EXPIRED")
    return None


def attempts_left(failures: int, limit: int) -> int:
    """How many more wrong keys the change takes before it is void."""
    return max(0, limit - failures)


def confirm_change(pool: ConnectionPool, session: UseSession, cmd: ConfirmEmailChange,
                   now: datetime, *, config: Config, caller: Caller) -> dict[str, str]:
    """The new address, once its key matched and it is still free (R6); one transaction,
    under the account's lock then the change's (the order a request takes them). Of two
    accounts confirming one address at once, the second's update waits on R6's unique
    index for the first's commit, then fails: EMAIL_ALREADY_REGISTERED."""
    token_digest = keyed_digest(config.digest_secret, cmd.change_token, "change_token")
    key_digest = keyed_digest(config.digest_secret, cmd.key, "change_key")
    with pool.connection() as conn, conn.transaction():
        refusal, done = _confirm(conn, session, token_digest, key_digest, now, config, caller)
    if refusal is not None:
        raise refusal
    return done


def _confirm(conn, session, token_digest, key_digest, now, config, caller):
    # The account first, then the session (account.locked_session_account's order).
    account_id = account_changes.account_of_session(conn, keyed_digest(
        config.digest_secret, session.session_token, "session_token"))
    account = account_changes.account(conn, account_id, lock=True) if account_id else None
    row = current_session(conn, session, now, config=config) if account else None
    if row is None or account["closed_at"] is not None or row["account_id"] != account_id:
        return Refused("UNAUTHORIZED"), None
    change = changes.change_by_token(conn, token_digest, lock=True)
    refusal = change_refusal(change, account_id, now, config)
    if refusal is None and not (change["key_digest"] and same_digest(change["key_digest"],
                                                                      key_digest)):
        count = changes.charge_key_failure(conn, change["change_id"], now,
                                           config.auth_key_max_failures)
        refusal = Refused(NOT_FOUND) if count is None else Refused(
            "CHANGE_KEY_MISMATCH",
            details={"attempts_left": attempts_left(count, config.auth_key_max_failures)})
    if refusal is None:
        refusal = _take_address(conn, account_id, change, now)
    if refusal is not None:
        audit_change(conn, ACTION, refusal.code, now, caller, account_id)
        return refusal, None
    changes.close_change(conn, change["change_id"], "confirmed", now)
    account_changes.end_other_sessions(conn, account_id, row["session_id"], now)
    notice(conn, "email_changed", account["email"], now, config, caller)  # the OLD address
    add_event(conn, account_email_changed(account_id, now, caller.correlation_id))
    audit_change(conn, ACTION, "CHANGED", now, caller, account_id)
    return None, {"email": change["new_email"]}


def _take_address(conn, account_id, change: dict, now: datetime) -> Refused | None:
    """R6 at the moment of confirmation: the look-up answers at once in the common case,
    the unique index (in a savepoint) is what makes it exact."""
    taken = accounts.email_registered(conn, change["new_email"])
    if not taken:
        try:
            with conn.transaction():
                account_changes.set_email(conn, account_id, change["new_email"])
        except psycopg.errors.UniqueViolation:
            taken = True
    if taken:  # the key was right, but the address is gone: this change cannot succeed
        changes.close_change(conn, change["change_id"], "taken", now)
        return Refused("EMAIL_ALREADY_REGISTERED")
    return None


# --- what the notifier reports, in the inbox claim's transaction -------------------------
def record_key_mail_delivery(conn: Connection, cmd, now: datetime) -> None:
    """`notice.mailed` (cmd: notice_id, kind, delivered_at): an email-change key's 50
    minutes start at its mail's delivery. Other kinds are not this module's."""
    if cmd.kind == KIND:
        changes.record_delivery(conn, cmd.notice_id, cmd.delivered_at)


def record_key_mail_failure(conn: Connection, cmd, now: datetime) -> None:
    """`notice.delivery_failed` (cmd: notice_id, kind, reason): the change closes as
    undeliverable; confirming it answers CHANGE_NOT_FOUND and the person asks again."""
    if cmd.kind == KIND:
        changes.record_delivery_failure(conn, cmd.notice_id, now)
