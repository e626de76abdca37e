"""SQL of `password_resets` (R15), and the account's side of a completed reset.

A reset request runs the same statements whether or not anything matched (its answer's
time must not tell): each takes the account id (None when nothing matched) or a `keep`
flag and then changes nothing. The wrong-key counter changes with one atomic
UPDATE ... RETURNING (R10's rule, applied to the reset key)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from registration.inputs import canonical_email
from shared.outbox import add_decoy_task


# --- the request ------------------------------------------------------------------------
def account_for_reset(conn: Connection, email: str, job_seeker_number: str,
                      birth_date: date) -> dict | None:
    """The open account of this email, number and birth date (the birth date is its
    code's), locked so that R15's mail count and the voiding of the earlier reset are
    exact."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT a.account_id, a.email FROM accounts a JOIN codes c USING (code_id) "
            "WHERE a.email_canonical = %s AND a.job_seeker_number = %s AND c.birth_date = %s "
            "AND a.closed_at IS NULL FOR UPDATE OF a",
            (canonical_email(email), job_seeker_number, birth_date)).fetchone()


def mails_since(conn: Connection, account_id: uuid.UUID | None, since: datetime) -> int:
    """R15: the reset mails of the account made within the window (0 without an account)."""
    return conn.execute(
        "SELECT count(*) FROM password_resets WHERE account_id = %s AND issued_at > %s",
        (account_id, since)).fetchone()[0]


def void_open_resets(conn: Connection, account_id: uuid.UUID | None, now: datetime,
                     keep: bool) -> None:
    """A new reset voids the account's earlier open one (its key stops working)."""
    conn.execute(
        "UPDATE password_resets SET status = 'voided', closed_at = %s, key_digest = NULL "
        "WHERE account_id = %s AND status = 'open' AND %s", (now, account_id, keep))


def insert_reset(conn: Connection, r: dict[str, Any], keep: bool) -> None:
    """The reset (one mail); with keep=False the same statement inserts nothing."""
    conn.execute(
        "INSERT INTO password_resets (reset_id, account_id, token_digest, key_digest, "
        "issued_at) SELECT %(reset_id)s, %(account_id)s, %(token_digest)s, %(key_digest)s, "
        "%(issued_at)s WHERE %(keep)s", {**r, "keep": keep})


def decoy_task(conn: Connection) -> None:
    """What `shared.outbox.add_task` costs (its one statement, with this process's wake-up),
    writing nothing: the answer without a mail takes as long as the one with a mail."""
    add_decoy_task(conn)


# --- the completion ----------------------------------------------------------------------
_RESET_COLUMNS = (
    "r.reset_id, r.account_id, r.key_digest, r.issued_at, r.delivered_at, r.key_failures, "
    "r.status, a.email, a.job_seeker_number, a.password_hash"
)


def reset_by_token(conn: Connection, token_digest: str, lock: bool = False) -> dict | None:
    """A reset with its account (email, number, current hash), locked when asked."""
    lock_clause = " FOR UPDATE OF r" if lock else ""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {_RESET_COLUMNS} FROM password_resets r JOIN accounts a "
            f"USING (account_id) WHERE r.token_digest = %s{lock_clause}", (token_digest,),
        ).fetchone()


def charge_key_failure(conn: Connection, reset_id: uuid.UUID, now: datetime,
                       limit: int) -> int | None:
    """R15 (like R10): one more wrong key; the limit-th voids the reset and purges its key.
    None when the reset was no longer open."""
    row = conn.execute(
        "UPDATE password_resets SET key_failures = key_failures + 1, "
        "status = CASE WHEN key_failures + 1 >= %(limit)s THEN 'voided' ELSE status END, "
        "closed_at = CASE WHEN key_failures + 1 >= %(limit)s THEN %(now)s ELSE closed_at END, "
        "key_digest = CASE WHEN key_failures + 1 >= %(limit)s THEN NULL ELSE key_digest END "
        "WHERE reset_id = %(id)s AND status = 'open' AND key_failures < %(limit)s "
        "RETURNING key_failures",
        {"id": reset_id, "now": now, "limit": limit},
    ).fetchone()
    return row[0] if row else None


def mark_used(conn: Connection, reset_id: uuid.UUID, now: datetime) -> bool:
    """Single use: False when another completion (or a void) closed it first."""
    return conn.execute(
        "UPDATE password_resets SET status = 'used', closed_at = %s, key_digest = NULL "
        "WHERE reset_id = %s AND status = 'open'", (now, reset_id)).rowcount == 1


def set_password_hash(conn: Connection, account_id: uuid.UUID, password_hash: str) -> None:
    conn.execute("UPDATE accounts SET password_hash = %s WHERE account_id = %s",
                 (password_hash, account_id))


def end_account_sessions(conn: Connection, account_id: uuid.UUID, now: datetime) -> int:
    """R15: every session of the account ends."""
    return conn.execute(
        "UPDATE sessions SET ended_at = %s WHERE account_id = %s AND ended_at IS NULL",
        (now, account_id)).rowcount


# --- what the notifier reports (notice.* of kind password_reset_key) --------------------
def record_delivery(conn: Connection, reset_id: uuid.UUID, delivered_at: datetime) -> None:
    """The first delivery time starts the key's 50 minutes."""
    conn.execute(
        "UPDATE password_resets SET delivered_at = %s WHERE reset_id = %s "
        "AND delivered_at IS NULL", (delivered_at, reset_id))


def record_delivery_failure(conn: Connection, reset_id: uuid.UUID, reason: str,
                            now: datetime) -> None:
    """An undeliverable key mail closes its reset (the person asks again)."""
    conn.execute(
        "UPDATE password_resets SET delivery_failed_at = COALESCE(delivery_failed_at, %s), "
        "delivery_failure_reason = COALESCE(delivery_failure_reason, %s), "
        "status = CASE WHEN status = 'open' THEN 'undeliverable' ELSE status END, "
        "closed_at = CASE WHEN status = 'open' THEN %s ELSE closed_at END, "
        "key_digest = CASE WHEN status = 'open' THEN NULL ELSE key_digest END "
        "WHERE reset_id = %s", (now, reason[:200], now, reset_id))


def lock_account(conn: Connection, account_id: uuid.UUID) -> None:
    """The account's row, locked until the transaction ends (a reset request takes it
    first too, so the two never deadlock)."""
    conn.execute("SELECT 1 FROM accounts WHERE account_id = %s FOR UPDATE", (account_id,))
