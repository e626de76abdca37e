"""SQL of what R16-R18 change on an account and its sessions: the password hash, the
email, the closure with its erasure, the sessions that end, the audit's addresses."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection
from psycopg.rows import dict_row

from registration.inputs import canonical_email

_COLUMNS = ("account_id, email, email_canonical, job_seeker_number, password_hash, "
            "closed_at")


def account(conn: Connection, account_id: uuid.UUID, lock: bool = False) -> dict | None:
    """The account (locked for the change that follows when `lock`)."""
    lock_clause = " FOR UPDATE" if lock else ""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {_COLUMNS} FROM accounts WHERE account_id = %s"
                           f"{lock_clause}", (account_id,)).fetchone()


def account_of_session(conn: Connection, token_digest: str) -> uuid.UUID | None:
    """The account of an open session, read without a lock (it is taken next, in order)."""
    row = conn.execute("SELECT account_id FROM sessions WHERE token_digest = %s "
                       "AND ended_at IS NULL", (token_digest,)).fetchone()
    return row[0] if row else None


def set_password_hash(conn: Connection, account_id: uuid.UUID, old: str, new: str) -> bool:
    """R16: only over the hash whose password was verified (a change meanwhile wins)."""
    return conn.execute(
        "UPDATE accounts SET password_hash = %s WHERE account_id = %s AND password_hash = %s "
        "AND closed_at IS NULL", (new, account_id, old)).rowcount == 1


def set_email(conn: Connection, account_id: uuid.UUID, email: str) -> None:
    """R17: the new address; R6's unique index on the canonical form settles two accounts
    racing for one address (the second waits for the first's commit, then fails)."""
    conn.execute(
        "UPDATE accounts SET email = %s, email_canonical = %s WHERE account_id = %s",
        (email, canonical_email(email), account_id))


def close_and_erase(conn: Connection, account_id: uuid.UUID, email_digest: str,
                    now: datetime) -> bool:
    """R18: closed (R12 frees the number), the email and password hash erased (R6 frees
    the address); a keyed digest of the address is what stays."""
    return conn.execute(
        "UPDATE accounts SET closed_at = %s, closed_reason = 'withdrawal', email = NULL, "
        "email_canonical = NULL, password_hash = NULL, closed_email_digest = %s "
        "WHERE account_id = %s AND closed_at IS NULL",
        (now, email_digest, account_id)).rowcount == 1


def end_other_sessions(conn: Connection, account_id: uuid.UUID, keep: uuid.UUID | None,
                       now: datetime) -> int:
    """R16, R17: every session of the account but `keep` ends (R18: `keep` None, all)."""
    return conn.execute(
        "UPDATE sessions SET ended_at = %s WHERE account_id = %s AND ended_at IS NULL "
        "AND session_id IS DISTINCT FROM %s", (now, account_id, keep)).rowcount


def audit_addresses(conn: Connection, account_id: uuid.UUID) -> list[str]:
    """The client addresses the audit holds for the account."""
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT client_address FROM audit_log WHERE account_id = %s",
        (account_id,)).fetchall()]


def replace_audit_address(conn: Connection, account_id: uuid.UUID, address: str,
                          digest: str) -> None:
    """R18: the audit keeps digests and times only."""
    conn.execute(
        "UPDATE audit_log SET client_address = %s WHERE account_id = %s AND client_address = %s",
        (digest, account_id, address))


def erase_other_copies(conn: Connection, account_id: uuid.UUID) -> None:
    """R18: the address kept elsewhere in this database: the applications of the account's
    code, the networks and browsers its sessions were opened from, and the
    account.registered events the relay already published (their bodies stay
    as a record; one not yet published keeps it until it is, since office systems need it)."""
    conn.execute(
        "UPDATE applications SET email = NULL WHERE status <> 'open' AND code_id = "
        "(SELECT code_id FROM accounts WHERE account_id = %s)", (account_id,))
    conn.execute(  # R19's view of where its sessions were opened (r0007)
        "UPDATE sessions SET client_address = NULL, browser = NULL WHERE account_id = %s",
        (account_id,))
    conn.execute(
        "UPDATE outbox SET body = jsonb_set(body, '{payload,email}', 'null'::jsonb) "
        "WHERE kind = 'event' AND destination = 'account.registered' "
        "AND published_at IS NOT NULL AND body->'payload'->>'account_id' = %s",
        (str(account_id),))
