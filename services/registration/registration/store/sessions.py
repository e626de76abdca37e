"""SQL of `sessions` (R13): opaque tokens, kept only as digests."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection
from psycopg.rows import dict_row


def insert_session(
    conn: Connection, session_id: uuid.UUID, account_id: uuid.UUID, token_digest: str,
    now: datetime,
) -> None:
    conn.execute(
        "INSERT INTO sessions (session_id, account_id, token_digest, created_at, last_seen_at) "
        "VALUES (%s, %s, %s, %s, %s)", (session_id, account_id, token_digest, now, now))


def session_by_token(conn: Connection, token_digest: str) -> dict | None:
    """The open session of a token with its account, locked for the touch that follows."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT s.session_id, s.created_at, s.last_seen_at, a.account_id, a.email, "
            "a.job_seeker_number, a.registered_at FROM sessions s JOIN accounts a "
            "USING (account_id) WHERE s.token_digest = %s AND s.ended_at IS NULL "
            "FOR UPDATE OF s", (token_digest,)).fetchone()


def touch_session(conn: Connection, session_id: uuid.UUID, now: datetime) -> None:
    """R13: each use moves the idle expiry (never backwards)."""
    conn.execute(
        "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, %s) WHERE session_id = %s",
        (now, session_id))


def end_session(conn: Connection, session_id: uuid.UUID, now: datetime) -> None:
    conn.execute(
        "UPDATE sessions SET ended_at = %s WHERE session_id = %s AND ended_at IS NULL",
        (now, session_id))
