"""SQL of `seen_clients` (R20): the clients (browser family + masked network) each account
was seen from, and when last."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection

PURGE_BATCH = 100  # stale rows a login removes on its way, keeping the table bounded


def remember_client(conn: Connection, account_id: uuid.UUID, browser: str,
                    client_address: str, now: datetime) -> datetime | None:
    """Record a sighting; return the one before it (None: never seen). Exact under
    concurrency: of two logins from one new client, the second waits for the first's row
    and sees its sighting."""
    key = (account_id, browser, client_address)
    inserted = conn.execute(
        "INSERT INTO seen_clients (account_id, browser, client_address, last_seen_at) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1", (*key, now)).fetchone()
    if inserted:
        return None
    before = conn.execute(
        "SELECT last_seen_at FROM seen_clients WHERE account_id = %s AND browser = %s "
        "AND client_address = %s FOR UPDATE", key).fetchone()
    if before is None:  # purged as stale between the two statements: new again
        return remember_client(conn, account_id, browser, client_address, now)
    conn.execute(
        "UPDATE seen_clients SET last_seen_at = GREATEST(last_seen_at, %s) "
        "WHERE account_id = %s AND browser = %s AND client_address = %s", (now, *key))
    return before[0]


def purge_unseen(conn: Connection, seen_before: datetime, limit: int = PURGE_BATCH) -> int:
    """Remove up to `limit` sightings older than `seen_before` (skipping rows another
    transaction holds); how many were removed."""
    return conn.execute(
        "DELETE FROM seen_clients WHERE ctid IN (SELECT ctid FROM seen_clients "
        "WHERE last_seen_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)",
        (seen_before, limit)).rowcount


def forget_account(conn: Connection, account_id: uuid.UUID) -> int:
    """Every sighting of an account removed (R18's erasure on withdrawal)."""
    return conn.execute("DELETE FROM seen_clients WHERE account_id = %s", (account_id,)).rowcount
