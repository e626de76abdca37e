"""R16 password change and R18 withdrawal, with a session; and what R16-R18 share: the
session's account, and its current password checked under R13's login throttles.

A wrong current password is a failed login of the account: it is reserved in the same
per-account and per-address throttles as `sessions.log_in` (the same keys), before
argon2 runs, so a stolen session cannot be used to guess the password, and a throttled
account answers RATE_LIMITED here as at login. Like step 3, the work is two short
transactions around argon2, the second re-checking under the account's row lock.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg_pool import ConnectionPool

from registration import inputs, messages
from registration.commands import Caller, ChangePassword, UseSession, Withdraw
from registration.config import Config
from registration.events import account_closed, account_password_changed
from registration.limits import Limits
from registration.passwords import COMMON_PASSWORDS, Passwords
from registration.store import account_changes, audit, changes, resets
from registration.store import clients as seen_clients
from registration.usecases import sessions
from shared.clock import Clock, iso
from shared.contracts import tasks
from shared.errors import Refused
from shared.outbox import add_event, add_task
from shared.tokens import keyed_digest

UNAUTHORIZED = "UNAUTHORIZED"  # no live session: api.py answers its 401


def session_account(pool: ConnectionPool, session: UseSession, now: datetime, *,
                    config: Config) -> dict:
    """The live session's account with its `session_id` (the session is touched), or
    Refused(UNAUTHORIZED)."""
    with pool.connection() as conn, conn.transaction():
        row = sessions.current_session(conn, session, now, config=config)
        found = account_changes.account(conn, row["account_id"]) if row else None
    if found is None or found["closed_at"] is not None:
        raise Refused(UNAUTHORIZED)
    return {**found, "session_id": row["session_id"]}


def locked_session_account(conn, session: UseSession, verified: dict, now: datetime, *,
                           config: Config) -> dict:
    """In the writing transaction: the account locked, still open, its session still live
    and its password still the one verified; else the refusal (a password changed meanwhile
    is a wrong current password, not counted again)."""
    # The account first, then the session: the order every writer of R16-R18 takes, so
    # two sessions of one account acting at once wait for each other, never deadlock.
    locked = account_changes.account(conn, verified["account_id"], lock=True)
    row = sessions.current_session(conn, session, now, config=config)
    if (row is None or locked is None or locked["closed_at"] is not None
            or row["account_id"] != locked["account_id"]):
        raise Refused(UNAUTHORIZED)
    if locked["password_hash"] != verified["password_hash"]:
        raise _wrong_password()
    return {**locked, "session_id": row["session_id"]}


def check_current_password(pool: ConnectionPool, account: dict, current_password: str,
                           now: datetime, *, config: Config, passwords: Passwords,
                           limits: Limits, clock: Clock, caller: Caller, action: str) -> None:
    """R13's throttles around the current password, under login's own keys: reserved first,
    kept as a failure when it is wrong (CURRENT_PASSWORD_WRONG), cleared as a login success
    clears them."""
    account_key = sessions.login_throttle_key(config, account["email_canonical"])
    reserved: list[tuple[str, str]] = []
    for group, who, limit in (
        ("login-account", account_key, config.login_failures_per_account),
        ("login-address", caller.client_address, config.login_failures_per_address),
    ):
        wait = limits.reserve(group, who, limit, config.login_throttle_seconds)
        if wait is not None:
            _give_back(limits, reserved)
            with pool.connection() as conn, conn.transaction():
                audit_change(conn, action, "RATE_LIMITED", now, caller, account["account_id"])
            raise Refused("RATE_LIMITED", retry_after=wait)
        reserved.append((group, who))
    try:
        verified = passwords.verify(account["password_hash"], current_password)
    except Exception:
        _give_back(limits, reserved)  # an outage is no wrong password
        raise
    if not verified:  # the reservations stay: they are the failures counted
        with pool.connection() as conn, conn.transaction():
            audit_change(conn, action, "CURRENT_PASSWORD_WRONG", clock.now(), caller,
                         account["account_id"])
        raise _wrong_password()
    limits.clear("login-account", account_key)
    limits.release("login-address", caller.client_address)


def _wrong_password() -> Refused:
    return Refused("CURRENT_PASSWORD_WRONG",
                   fields={"current_password": [messages.CURRENT_PASSWORD_IS_WRONG]})


def _give_back(limits: Limits, reserved: list[tuple[str, str]]) -> None:
    for group, who in reserved:
        limits.release(group, who)


def notice(conn, kind: str, email: str, now: datetime, config: Config, caller: Caller) -> None:
    """A notice mail of R16-R18 (shared.contracts.tasks.SEND_NOTICE), in the change's
    transaction."""
    add_task(conn, task=tasks.SEND_NOTICE, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "notice_id": str(uuid.uuid4()), "kind": kind, "email": email,
                 "language": caller.language, "occurred_at": iso(now)})


def audit_change(conn, action: str, outcome: str, now, caller: Caller, account_id) -> None:
    audit.add_audit(conn, action=action, client_address=caller.client_address,
                    outcome=outcome, now=now, correlation_id=caller.correlation_id,
                    account_id=account_id)


# --- R16 ------------------------------------------------------------------------------
def change_password(
    pool: ConnectionPool, session: UseSession, cmd: ChangePassword, now: datetime, *,
    config: Config, passwords: Passwords, limits: Limits, clock: Clock, caller: Caller,
) -> None:
    """R16: the new password (R11, not the current one) replaces the current one; every
    other session of the account ends; a notice is mailed; account.password_changed."""
    account = session_account(pool, session, now, config=config)
    problems = inputs.password_problems(
        cmd.password, cmd.password_confirmation, email=account["email"],
        job_seeker_number=account["job_seeker_number"], common=COMMON_PASSWORDS)
    if problems:  # bad input: refused, nothing counted
        raise Refused("VALIDATION_FAILED", fields=problems)
    check_current_password(pool, account, cmd.current_password, now, config=config,
                           passwords=passwords, limits=limits, clock=clock, caller=caller,
                           action="password_change")
    if cmd.password == cmd.current_password:  # verified: no second hash needed to tell
        with pool.connection() as conn, conn.transaction():
            audit_change(conn, "password_change", "PASSWORD_UNCHANGED", now, caller,
                         account["account_id"])
        raise Refused("PASSWORD_UNCHANGED", fields={"password": [messages.PASSWORD_IS_CURRENT]})
    new_hash = passwords.hash(cmd.password)  # outside any transaction
    now = clock.now()
    with pool.connection() as conn, conn.transaction():
        locked = locked_session_account(conn, session, account, now, config=config)
        account_changes.set_password_hash(conn, locked["account_id"], locked["password_hash"],
                                          new_hash)
        account_changes.end_other_sessions(conn, locked["account_id"], locked["session_id"],
                                           now)
        notice(conn, "password_changed", locked["email"], now, config, caller)
        add_event(conn, account_password_changed(locked["account_id"], "change", now,
                                                 caller.correlation_id))
        audit_change(conn, "password_change", "CHANGED", now, caller, locked["account_id"])


# --- R18 ------------------------------------------------------------------------------
def withdraw(
    pool: ConnectionPool, session: UseSession, cmd: Withdraw, now: datetime, *,
    config: Config, passwords: Passwords, limits: Limits, clock: Clock, caller: Caller,
) -> None:
    """R18: the account closes and every session ends; a notice goes to the address, then
    the address and the password hash are erased (the address is free again, R6), and so
    are the addresses of its email changes; the audit's client addresses of the account
    become keyed digests. account.closed frees the number at code-issuer's counter (R12)."""
    account = session_account(pool, session, now, config=config)
    check_current_password(pool, account, cmd.current_password, now, config=config,
                           passwords=passwords, limits=limits, clock=clock, caller=caller,
                           action="withdrawal")
    now = clock.now()
    with pool.connection() as conn, conn.transaction():
        locked = locked_session_account(conn, session, account, now, config=config)
        account_id = locked["account_id"]
        notice(conn, "account_closed", locked["email"], now, config, caller)
        account_changes.close_and_erase(conn, account_id, keyed_digest(
            config.digest_secret, locked["email_canonical"], "closed_email"), now)
        account_changes.erase_other_copies(conn, account_id)
        seen_clients.forget_account(conn, account_id)  # R20's sightings
        account_changes.end_other_sessions(conn, account_id, None, now)
        changes.void_open_changes(conn, account_id, now)
        resets.void_open_resets(conn, account_id, now, keep=True)  # R15's key stops working
        changes.erase_addresses(conn, account_id)
        audit_change(conn, "withdrawal", "CLOSED", now, caller, account_id)
        for address in account_changes.audit_addresses(conn, account_id):
            account_changes.replace_audit_address(
                conn, account_id, address,
                keyed_digest(config.digest_secret, address, "audit_address"))
        add_event(conn, account_closed(account_id, locked["job_seeker_number"], now,
                                       caller.correlation_id))
