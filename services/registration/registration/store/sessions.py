"""SQL of `sessions` (R13, R19): opaque tokens, kept only as digests; the public
`session_id` is a separate random UUID, never the token."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection
from psycopg.rows import dict_row


def insert_session(
    conn: Connection, session_id: uuid.UUID, account_id: uuid.UUID, token_digest: str,
    now: datetime, *, client_address: str, browser: str,
) -> None:
    """R19: `client_address` is already masked (/24, /48); the full one is never stored."""
    conn.execute(
        "INSERT INTO sessions (session_id, account_id, token_digest, created_at, last_seen_at, "
        "client_address, browser) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (session_id, account_id, token_digest, now, now, client_address, browser))


def session_by_token(conn: Connection, token_digest: str) -> dict | None:
    """The open session of a token with its account. No row lock: using a session is a
    read (R19: its last use is written at most once a minute, by `touch_session`)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT s.session_id, s.created_at, s.last_seen_at, a.account_id, a.email, "
            "a.job_seeker_number, a.registered_at FROM sessions s JOIN accounts a "
            "USING (account_id) WHERE s.token_digest = %s AND s.ended_at IS NULL",
            (token_digest,)).fetchone()


def touch_session(conn: Connection, session_id: uuid.UUID, now: datetime) -> None:
    """R13: a use moves the idle expiry (never backwards, never an ended session back)."""
    conn.execute(
        "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, %s) "
        "WHERE session_id = %s AND ended_at IS NULL", (now, session_id))


def end_session(conn: Connection, session_id: uuid.UUID, now: datetime) -> None:
    conn.execute(
        "UPDATE sessions SET ended_at = %s WHERE session_id = %s AND ended_at IS NULL",
        (now, session_id))


def has_had_sessions(conn: Connection, account_id: uuid.UUID) -> bool:
    """Whether the account was ever logged in since sessions record their client (R20: its
    first login mails no notice; sessions from before r0007 have no browser)."""
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE account_id = %s AND browser IS NOT NULL)",
        (account_id,)).fetchone()[0]


def open_sessions(conn: Connection, account_id: uuid.UUID, used_after: datetime,
                  started_after: datetime) -> list[dict]:
    """R19: the account's sessions neither ended nor expired (last use after `used_after`,
    login after `started_after`), the most recently used first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT session_id, created_at, last_seen_at, "
            "COALESCE(client_address, 'unknown') AS client_address, "
            "COALESCE(browser, 'unknown') AS browser "
            "FROM sessions WHERE account_id = %s AND ended_at IS NULL "
            "AND last_seen_at > %s AND created_at > %s "
            "ORDER BY last_seen_at DESC, created_at DESC, session_id",
            (account_id, used_after, started_after)).fetchall()


def end_open_session(conn: Connection, account_id: uuid.UUID, session_id: uuid.UUID,
                     now: datetime, used_after: datetime, started_after: datetime) -> bool:
    """R19: end one of the account's open (unexpired) sessions; False if it is none."""
    return conn.execute(
        "UPDATE sessions SET ended_at = %s WHERE session_id = %s AND account_id = %s "
        "AND ended_at IS NULL AND last_seen_at > %s AND created_at > %s RETURNING 1",
        (now, session_id, account_id, used_after, started_after)).fetchone() is not None


def end_sessions_of_account(conn: Connection, account_id: uuid.UUID, now: datetime, *,
                            keep: uuid.UUID | None = None) -> int:
    """End every session of the account but `keep` (R19's "all but this one"; with no
    `keep`, all of them); how many ended."""
    return conn.execute(
        "UPDATE sessions SET ended_at = %s WHERE account_id = %s AND ended_at IS NULL "
        "AND session_id IS DISTINCT FROM %s", (now, account_id, keep)).rowcount
