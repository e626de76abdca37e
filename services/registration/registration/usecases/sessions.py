"""Login and sessions (R13): throttled, one answer for every failure, opaque tokens; the
account's open sessions listed and ended (R19); a login from a new client noticed (R20)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from psycopg import Connection
from psycopg_pool import ConnectionPool

from registration import clients, domain, inputs
from registration.commands import Caller, EndSession, LogIn, UseSession
from registration.config import Config
from registration.limits import Limits
from registration.passwords import Passwords
from registration.store import accounts, audit, sessions
from registration.usecases.clients import notice_new_client
from shared.clock import Clock, iso
from shared.errors import Refused
from shared.tokens import keyed_digest, random_token


def _windows(config: Config) -> tuple[timedelta, timedelta]:
    return (timedelta(minutes=config.session_idle_minutes),
            timedelta(hours=config.session_absolute_hours))


def log_in(
    pool: ConnectionPool, cmd: LogIn, now: datetime, *, config: Config, passwords: Passwords,
    limits: Limits, clock: Clock, caller: Caller,
) -> dict[str, str]:
    """Email + password → a session; throttled per account and per client address.

    The attempt is reserved in both throttles before argon2 runs, so N concurrent wrong
    passwords get exactly the limit checked (issue 13 item 4); a success gives it back.
    `now` is the request's time; what follows the hash reads `clock` again."""
    try:
        email = inputs.canonical_email(cmd.email)
    except inputs.InputProblem as problem:  # no account can have it (R6): nothing to count
        raise Refused("VALIDATION_FAILED", fields={"email": [str(problem)]}) from None
    account_key = login_throttle_key(config, email)
    reserved: list[tuple[str, str]] = []
    for group, who, limit in (
        ("login-account", account_key, config.login_failures_per_account),
        ("login-address", caller.client_address, config.login_failures_per_address),
    ):
        wait = limits.reserve(group, who, limit, config.login_throttle_seconds)
        if wait is not None:
            _give_back(limits, reserved)  # a refused attempt counts nowhere
            with pool.connection() as conn, conn.transaction():
                _audit(conn, "RATE_LIMITED", now, caller, None)
            raise Refused("RATE_LIMITED", retry_after=wait)
        reserved.append((group, who))
    try:
        with pool.connection() as conn, conn.transaction():
            account = accounts.account_by_email(conn, email)
        # An unknown email is verified against a dummy hash: same answer, same cost.
        verified = passwords.verify(account["password_hash"] if account else None,
                                    cmd.password)
    except Exception:
        _give_back(limits, reserved)  # an outage is no wrong password
        raise
    if not verified:  # the reservations stay: they are the failures counted
        with pool.connection() as conn, conn.transaction():
            _audit(conn, "LOGIN_FAILED", clock.now(), caller,
                   account["account_id"] if account else None)
        raise Refused("LOGIN_FAILED")
    limits.clear("login-account", account_key)  # R13: a success clears the account's count
    limits.release("login-address", caller.client_address)  # and is no failure of the address
    new_hash = None
    if passwords.needs_rehash(account["password_hash"]):
        new_hash = passwords.hash(cmd.password)  # parameters changed since it was made
    token = random_token(32)
    opened_at = clock.now()
    client = clients.client_of(caller.user_agent, caller.client_address)
    with pool.connection() as conn, conn.transaction():
        if new_hash:
            accounts.replace_password_hash(conn, account["account_id"],
                                           account["password_hash"], new_hash)
        first_login = not sessions.has_had_sessions(conn, account["account_id"])
        sessions.insert_session(conn, uuid.uuid4(), account["account_id"],
                                keyed_digest(config.digest_secret, token, "session_token"),
                                opened_at, client_address=client.client_address,
                                browser=client.browser)
        notice_new_client(conn, account, client, first_login, opened_at, config, caller)
        expires_at = domain.session_expires_at(domain.SessionTimes(opened_at, opened_at),
                                               *_windows(config))
        _audit(conn, "CREATED", opened_at, caller, account["account_id"])
    return {"session_token": token, "expires_at": iso(expires_at)}


def login_throttle_key(config: Config, canonical: str) -> str:
    """Who R13's per-account login throttle counts: a digest of the canonical email."""
    return keyed_digest(config.digest_secret, canonical, "login_throttle")


def current_session(conn: Connection, cmd: UseSession, now: datetime, *,
                    config: Config) -> dict | None:
    """The live session of a bearer token, touched (idle expiry moves), or None. Runs in
    the caller's transaction."""
    row = sessions.session_by_token(
        conn, keyed_digest(config.digest_secret, cmd.session_token, "session_token"))
    if row is None:
        return None
    times = domain.SessionTimes(row["created_at"], row["last_seen_at"])
    if not domain.session_active(times, now, *_windows(config)):
        sessions.end_session(conn, row["session_id"], now)
        return None
    if domain.session_touch_due(row["last_seen_at"], now):  # R19: not every request a write
        sessions.touch_session(conn, row["session_id"], now)
    return row


def me(conn: Connection, cmd: UseSession, now: datetime, *, config: Config) -> dict | None:
    """Who is logged in with this token: email, job-seeker number, registration time; None
    without a live session."""
    row = current_session(conn, cmd, now, config=config)
    if row is None:
        return None
    return {"email": row["email"], "job_seeker_number": row["job_seeker_number"],
            "registered_at": iso(row["registered_at"])}


def log_out(conn: Connection, cmd: UseSession, now: datetime, *, config: Config) -> bool:
    """The session ends at once; False without a live session."""
    row = current_session(conn, cmd, now, config=config)
    if row is None:
        return False
    sessions.end_session(conn, row["session_id"], now)
    return True


# --- R19: the account's open sessions -------------------------------------------------------
def _live_since(now: datetime, config: Config) -> tuple[datetime, datetime]:
    """(last use, login) after which a session is not yet expired (R13's two windows)."""
    idle, absolute = _windows(config)
    return now - idle, now - absolute


def list_sessions(conn: Connection, cmd: UseSession, now: datetime, *,
                  config: Config) -> list[dict] | None:
    """R19: the account's open sessions (neither ended nor expired), the current one marked;
    None without a live session."""
    current = current_session(conn, cmd, now, config=config)
    if current is None:
        return None
    return [{
        "session_id": str(row["session_id"]),
        "current": row["session_id"] == current["session_id"],
        "started_at": iso(row["created_at"]),
        "last_used_at": iso(row["last_seen_at"]),
        "client_address": row["client_address"],
        "browser": row["browser"],
    } for row in sessions.open_sessions(conn, current["account_id"], *_live_since(now, config))]


def end_session(conn: Connection, cmd: EndSession, now: datetime, *,
                config: Config) -> bool:
    """R19: end one of the account's open sessions (the current one too, if named); False
    without a live session; SESSION_NOT_FOUND if it is not one of the account's open ones."""
    current = current_session(conn, UseSession(cmd.session_token), now, config=config)
    if current is None:
        return False
    if not sessions.end_open_session(conn, current["account_id"], cmd.session_id, now,
                                     *_live_since(now, config)):
        raise Refused("SESSION_NOT_FOUND")
    return True


def end_other_sessions(conn: Connection, cmd: UseSession, now: datetime, *,
                       config: Config) -> bool:
    """R19: end every session of the account but the current one; False without a live
    session."""
    current = current_session(conn, cmd, now, config=config)
    if current is None:
        return False
    sessions.end_sessions_of_account(conn, current["account_id"], now,
                                     keep=current["session_id"])
    return True


def _give_back(limits: Limits, reserved: list[tuple[str, str]]) -> None:
    for group, who in reserved:
        limits.release(group, who)


def _audit(conn, outcome: str, now, caller: Caller, account_id) -> None:
    audit.add_audit(conn, action="login", client_address=caller.client_address,
                    outcome=outcome, now=now, correlation_id=caller.correlation_id,
                    account_id=account_id)
