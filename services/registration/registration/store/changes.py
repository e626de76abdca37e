"""SQL of `email_changes` (R17): one row per key mail to a new address. Only keyed digests
of the change token and the key; the wrong-key counter changes with one atomic
UPDATE ... RETURNING (R10's rule)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

_COLUMNS = ("change_id, account_id, new_email, key_digest, issued_at, delivered_at, "
            "key_failures, status")


def mails_since(conn: Connection, account_id: uuid.UUID, since: datetime) -> list[datetime]:
    """When the account's email-change key mails were made within the window, oldest
    first."""
    return [row[0] for row in conn.execute(
        "SELECT issued_at FROM email_changes WHERE account_id = %s AND issued_at > %s "
        "ORDER BY issued_at", (account_id, since)).fetchall()]


def void_open_changes(conn: Connection, account_id: uuid.UUID, now: datetime) -> bool:
    """A new change (or the account's closure) voids the open one: its key stops working."""
    return conn.execute(
        "UPDATE email_changes SET status = 'voided', closed_at = %s, key_digest = NULL "
        "WHERE account_id = %s AND status = 'open'", (now, account_id)).rowcount > 0


def insert_change(conn: Connection, c: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO email_changes (change_id, account_id, new_email, token_digest, "
        "key_digest, issued_at) VALUES (%(change_id)s, %(account_id)s, %(new_email)s, "
        "%(token_digest)s, %(key_digest)s, %(issued_at)s)", c)


def change_by_token(conn: Connection, token_digest: str, lock: bool = False) -> dict | None:
    lock_clause = " FOR UPDATE" if lock else ""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {_COLUMNS} FROM email_changes WHERE token_digest = %s"
                           f"{lock_clause}", (token_digest,)).fetchone()


def charge_key_failure(conn: Connection, change_id: uuid.UUID, now: datetime,
                       limit: int) -> int | None:
    """One more wrong key; the limit-th voids the change and purges its key (R10)."""
    row = conn.execute(
        "UPDATE email_changes SET key_failures = key_failures + 1, "
        "status = CASE WHEN key_failures + 1 >= %(limit)s THEN 'voided' ELSE status END, "
        "closed_at = CASE WHEN key_failures + 1 >= %(limit)s THEN %(now)s ELSE closed_at END, "
        "key_digest = CASE WHEN key_failures + 1 >= %(limit)s THEN NULL ELSE key_digest END "
        "WHERE change_id = %(id)s AND status = 'open' AND key_failures < %(limit)s "
        "RETURNING key_failures",
        {"id": change_id, "now": now, "limit": limit}).fetchone()
    return row[0] if row else None


def close_change(conn: Connection, change_id: uuid.UUID, status: str, now: datetime) -> bool:
    """Close an open change with `status` (confirmed, taken, undeliverable), purging its
    key."""
    return conn.execute(
        "UPDATE email_changes SET status = %s, closed_at = %s, key_digest = NULL "
        "WHERE change_id = %s AND status = 'open'", (status, now, change_id)).rowcount == 1


def erase_addresses(conn: Connection, account_id: uuid.UUID) -> None:
    """R18: the new addresses the account asked for go with its own."""
    conn.execute("UPDATE email_changes SET new_email = NULL WHERE account_id = %s",
                 (account_id,))


def record_delivery(conn: Connection, change_id: uuid.UUID, delivered_at: datetime) -> None:
    """The first delivery time starts the key's 50 minutes (R10)."""
    conn.execute(
        "UPDATE email_changes SET delivered_at = %s WHERE change_id = %s "
        "AND delivered_at IS NULL", (delivered_at, change_id))


def record_delivery_failure(conn: Connection, change_id: uuid.UUID, now: datetime) -> None:
    conn.execute(
        "UPDATE email_changes SET delivery_failed_at = %s WHERE change_id = %s "
        "AND delivery_failed_at IS NULL", (now, change_id))
    close_change(conn, change_id, "undeliverable", now)
