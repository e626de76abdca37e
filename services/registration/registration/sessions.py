"""Login and sessions (R13): throttled, one answer for every failure, opaque tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from registration import account_store, domain, inputs, store
from registration.config import Config
from registration.limits import Limits
from registration.passwords import Passwords
from registration.results import Caller, Outcome
from shared.clock import Clock, iso
from shared.tokens import keyed_digest, random_token

LOGIN_FAILED = Outcome(401, "LOGIN_FAILED")


def _windows(config: Config) -> tuple[timedelta, timedelta]:
    return (timedelta(minutes=config.session_idle_minutes),
            timedelta(hours=config.session_absolute_hours))


def log_in(
    pool: ConnectionPool, form: dict[str, Any], clock: Clock, config: Config,
    passwords: Passwords, limits: Limits, caller: Caller,
) -> Outcome:
    """Email + password → a session; throttled per account and per client address.

    The attempt is reserved in both throttles before argon2 runs, so N concurrent wrong
    passwords get exactly the limit checked (issue 13 item 4); a success gives it back."""
    try:
        email = inputs.canonical_email(form["email"])
    except inputs.InputProblem as problem:  # no account can have it (R6): nothing to count
        return Outcome(422, "VALIDATION_FAILED", fields={"email": [str(problem)]})
    account_key = keyed_digest(config.digest_secret, email, "login_throttle")
    reserved: list[tuple[str, str]] = []
    for group, who, limit in (
        ("login-account", account_key, config.login_failures_per_account),
        ("login-address", caller.client_address, config.login_failures_per_address),
    ):
        wait = limits.reserve(group, who, limit, config.login_throttle_seconds)
        if wait is not None:
            _give_back(limits, reserved)  # a refused attempt counts nowhere
            with pool.connection() as conn, conn.transaction():
                return _audited(conn, Outcome(429, "RATE_LIMITED", retry_after=wait),
                                clock.now(), caller, None)
        reserved.append((group, who))
    try:
        with pool.connection() as conn, conn.transaction():
            account = account_store.account_by_email(conn, email)
        # An unknown email is verified against a dummy hash: same answer, same cost.
        verified = passwords.verify(account["password_hash"] if account else None,
                                    form["password"])
    except Exception:
        _give_back(limits, reserved)  # an outage is no wrong password
        raise
    if not verified:  # the reservations stay: they are the failures counted
        with pool.connection() as conn, conn.transaction():
            return _audited(conn, LOGIN_FAILED, clock.now(), caller,
                            account["account_id"] if account else None)
    limits.clear("login-account", account_key)  # R13: a success clears the account's count
    limits.release("login-address", caller.client_address)  # and is no failure of the address
    new_hash = None
    if passwords.needs_rehash(account["password_hash"]):
        new_hash = passwords.hash(form["password"])  # parameters changed since it was made
    token = random_token(32)
    now = clock.now()
    with pool.connection() as conn, conn.transaction():
        if new_hash:
            account_store.replace_password_hash(conn, account["account_id"],
                                                account["password_hash"], new_hash)
        account_store.insert_session(conn, uuid.uuid4(), account["account_id"],
                                     keyed_digest(config.digest_secret, token, "session_token"),
                                     now)
        expires_at = domain.session_expires_at(domain.SessionTimes(now, now), *_windows(config))
        return _audited(conn, Outcome(201, "CREATED", {"session_token": token,
                                                       "expires_at": iso(expires_at)}),
                        now, caller, account["account_id"])


def current_session(conn: Connection, token: str, clock: Clock, config: Config) -> dict | None:
    """The live session of a bearer token, touched (idle expiry moves), or None."""
    row = account_store.session_by_token(
        conn, keyed_digest(config.digest_secret, token, "session_token"))
    if row is None:
        return None
    now = clock.now()
    times = domain.SessionTimes(row["created_at"], row["last_seen_at"])
    if not domain.session_active(times, now, *_windows(config)):
        account_store.end_session(conn, row["session_id"], now)
        return None
    account_store.touch_session(conn, row["session_id"], now)
    return row


def me(row: dict) -> dict[str, str]:
    return {"email": row["email"], "job_seeker_number": row["job_seeker_number"],
            "registered_at": iso(row["registered_at"])}


def log_out(conn: Connection, token: str, clock: Clock, config: Config) -> bool:
    row = current_session(conn, token, clock, config)
    if row is None:
        return False
    account_store.end_session(conn, row["session_id"], clock.now())
    return True


def _give_back(limits: Limits, reserved: list[tuple[str, str]]) -> None:
    for group, who in reserved:
        limits.release(group, who)


def _audited(conn, outcome: Outcome, now, caller: Caller, account_id) -> Outcome:
    store.add_audit(conn, action="login", client_address=caller.client_address,
                    outcome=outcome.code, now=now, correlation_id=caller.correlation_id,
                    account_id=account_id)
    return outcome
