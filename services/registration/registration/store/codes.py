"""SQL of `codes`: registration's view of the codes, built from code.* events, and the
failure counter of step 2 (R4, R5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from registration.domain import Code

_CODE_COLUMNS = (
    "code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, "
    "invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at"
)
# A code still usable at %(now)s (R2-R5); the same test as domain.code_status.
_ACTIVE = (
    "used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL "
    "AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > %(now)s"
)


def _code(row: dict[str, Any] | None) -> Code | None:
    return Code(**row) if row else None


# --- the codes view (consumer) -------------------------------------------------------
def upsert_issued_code(conn: Connection, p: dict[str, Any]) -> None:
    """Insert an issued code, or fill in the tombstone a revoke/expiry left for it."""
    conn.execute(
        "INSERT INTO codes (code_id, job_seeker_number, birth_date, code_digest, issued_at, "
        "expires_at) VALUES (%(code_id)s, %(job_seeker_number)s, %(birth_date)s, "
        "%(code_digest)s, %(issued_at)s, %(expires_at)s) ON CONFLICT (code_id) DO UPDATE SET "
        "job_seeker_number = EXCLUDED.job_seeker_number, birth_date = EXCLUDED.birth_date, "
        "code_digest = EXCLUDED.code_digest, issued_at = EXCLUDED.issued_at, "
        "expires_at = EXCLUDED.expires_at",
        p,
    )


def supersede(conn: Connection, code_ids: list[uuid.UUID], now: datetime) -> None:
    """R3: mark codes superseded, leaving a tombstone for any not seen yet."""
    for code_id in sorted(code_ids):
        conn.execute(
            "INSERT INTO codes (code_id, superseded_at) VALUES (%s, %s) ON CONFLICT (code_id) "
            "DO UPDATE SET superseded_at = COALESCE(codes.superseded_at, EXCLUDED.superseded_at)",
            (code_id, now),
        )


def supersede_by_issue_order(conn: Connection, code_id: uuid.UUID, now: datetime) -> None:
    """R3 whatever order issues arrive in: of one person's codes only the newest lives."""
    conn.execute(
        "UPDATE codes c SET superseded_at = %(now)s FROM codes n "
        "WHERE n.code_id = %(id)s AND c.job_seeker_number = n.job_seeker_number "
        "AND c.superseded_at IS NULL AND c.code_id <> n.code_id AND c.issued_at < n.issued_at",
        {"id": code_id, "now": now},
    )
    conn.execute(
        "UPDATE codes c SET superseded_at = %(now)s WHERE c.code_id = %(id)s "
        "AND c.superseded_at IS NULL AND EXISTS (SELECT 1 FROM codes n WHERE "
        "n.job_seeker_number = c.job_seeker_number AND n.issued_at > c.issued_at)",
        {"id": code_id, "now": now},
    )


def revoke(conn: Connection, code_id: uuid.UUID, reason: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO codes (code_id, revoked_at, revoke_reason) VALUES (%s, %s, %s) "
        "ON CONFLICT (code_id) DO UPDATE SET revoked_at = COALESCE(codes.revoked_at, "
        "EXCLUDED.revoked_at), revoke_reason = COALESCE(codes.revoke_reason, "
        "EXCLUDED.revoke_reason)",
        (code_id, now, reason),
    )


def expire(conn: Connection, code_id: uuid.UUID, expired_at: datetime) -> None:
    conn.execute(
        "INSERT INTO codes (code_id, expired_at) VALUES (%s, %s) ON CONFLICT (code_id) "
        "DO UPDATE SET expired_at = COALESCE(codes.expired_at, EXCLUDED.expired_at)",
        (code_id, expired_at),
    )


# --- step 2 --------------------------------------------------------------------------
def codes_for_step2(
    conn: Connection, digest: str, number: str, now: datetime
) -> tuple[Code | None, Code | None]:
    """R5: the code whose value was entered and the number's active code, in one statement
    whatever was entered. Returns (by value, by number)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"(SELECT 'value' AS found_by, {_CODE_COLUMNS} FROM codes WHERE code_digest = %(digest)s) "
            f"UNION ALL (SELECT 'number' AS found_by, {_CODE_COLUMNS} FROM codes "
            f"WHERE job_seeker_number = %(number)s AND {_ACTIVE} ORDER BY issued_at DESC LIMIT 1)",
            {"digest": digest, "number": number, "now": now},
        ).fetchall()
    found = {row.pop("found_by"): Code(**row) for row in rows}
    return found.get("value"), found.get("number")


def lock_code(conn: Connection, code_id: uuid.UUID) -> Code | None:
    """The code's row, locked until the transaction ends."""
    with conn.cursor(row_factory=dict_row) as cur:
        return _code(cur.execute(
            f"SELECT {_CODE_COLUMNS} FROM codes WHERE code_id = %s FOR UPDATE",
            (code_id,)).fetchone())


def charge_failures(
    conn: Connection, code_ids: list[uuid.UUID], now: datetime, limit: int
) -> dict[uuid.UUID, int]:
    """R4: one more failure on each of these codes still active; the limit-th invalidates.

    Returns each counted code's new count (a code no longer active, or already at the
    limit, is not counted). One statement for any number of codes, none included, so every
    mismatch costs the same (R5); the index scan locks the rows in code_id order.
    """
    rows = conn.execute(
        "UPDATE codes SET failed_attempts = failed_attempts + 1, invalidated_at = CASE "
        "WHEN failed_attempts + 1 >= %(limit)s THEN %(now)s ELSE NULL END "
        f"WHERE code_id = ANY(%(ids)s::uuid[]) AND failed_attempts < %(limit)s AND {_ACTIVE} "
        "RETURNING code_id, failed_attempts",
        {"ids": list(code_ids), "now": now, "limit": limit},
    ).fetchall()
    return {code_id: count for code_id, count in rows}


def mark_code_used(
    conn: Connection, code_id: uuid.UUID, account_id: uuid.UUID, now: datetime
) -> bool:
    """R12: single use; False when another transaction used the code first."""
    return conn.execute(
        "UPDATE codes SET used_at = %s, account_id = %s WHERE code_id = %s AND used_at IS NULL",
        (now, account_id, code_id)).rowcount == 1
