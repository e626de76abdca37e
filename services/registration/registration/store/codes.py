"""SQL of `codes`: registration's view of the codes, built from code.* events, and the
failure counter of step 2 (R4, R5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from registration.domain import Code
from shared.clock import iso
from shared.contracts.events import ENVELOPE_VERSION
from shared.logs import mask_address
from shared.outbox import CHANNEL, QUIET

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
@dataclass(frozen=True)
class Step2Check:
    """What step 2's first statement found and did: `refusal` is None when the triple
    matched an active code (`code_id`; nothing was written), else the refusal's code, whose
    audit row, counted failures (`charged`: code id -> new count) and announcements are
    already committed."""

    refusal: str | None
    code_id: uuid.UUID | None
    charged: dict[uuid.UUID, int]


# R4, R5: the look-up of both codes (the one whose value was entered, the number's active
# one), the same whatever was entered, and, when the triple does not match an active code,
# everything a refusal writes, as one statement run in autocommit (one round trip, one
# transaction): the audit row, one failure on each affected code still active (the
# limit-th invalidates), code.failure_counted for each count (quiet: no NOTIFY, R5) and
# code.invalidated for the limit-th (with NOTIFY, as shared.outbox.add_event does).
# The refusal is domain.identity_refusal written in SQL (tests compare the two). The
# UPDATE re-checks its WHERE after each row lock, so counting stays exact under any
# concurrency; its ids come from an InitPlan array, so the index scan locks the rows in
# code_id order. The events are built here as registration.events builds them (the
# catalog's envelope and payloads: tests load them strictly and compare them with
# events.code_failure_counted's), since a marshmallow dump and load per request cost
# more CPU than the rest of a refused step 2's Python.
CHECK_OR_CHARGE = f"""
WITH found AS MATERIALIZED (
    (SELECT 'value' AS found_by, {_CODE_COLUMNS} FROM codes WHERE code_digest = %(digest)s)
    UNION ALL
    (SELECT 'number' AS found_by, {_CODE_COLUMNS} FROM codes
      WHERE job_seeker_number = %(number)s AND {_ACTIVE} ORDER BY issued_at DESC LIMIT 1)
), verdict AS MATERIALIZED (
    SELECT v.code_id AS value_code_id, COALESCE(n.code_id, v.code_id) AS known_code_id,
           CASE WHEN v.job_seeker_number IS DISTINCT FROM %(number)s
                  OR v.birth_date IS DISTINCT FROM %(birth_date)s THEN 'IDENTITY_MISMATCH'
                WHEN v.used_at IS NOT NULL THEN 'CODE_ALREADY_USED'
                WHEN v.invalidated_at IS NOT NULL THEN 'CODE_INVALIDATED'
                WHEN v.superseded_at IS NOT NULL OR v.revoke_reason = 'superseded'
                     THEN 'CODE_SUPERSEDED'
                WHEN v.revoked_at IS NOT NULL OR v.issued_at IS NULL OR v.expires_at IS NULL
                     THEN 'CODE_REVOKED'
                WHEN v.expired_at IS NOT NULL OR v.expires_at <= %(now)s THEN 'CODE_EXPIRED'
           END AS refusal
      FROM (SELECT) AS one
      LEFT JOIN found v ON v.found_by = 'value'
      LEFT JOIN found n ON n.found_by = 'number'
), audited AS (
    INSERT INTO audit_log (occurred_at, action, client_address, outcome, code_id,
                           correlation_id)
    SELECT %(now)s, 'application', %(client_address)s, refusal, known_code_id,
           %(correlation_id)s
      FROM verdict WHERE refusal IS NOT NULL
), charged AS (
    UPDATE codes SET failed_attempts = failed_attempts + 1, invalidated_at = CASE
           WHEN failed_attempts + 1 >= %(limit)s THEN %(now)s ELSE NULL END
     WHERE code_id = ANY(ARRAY(SELECT code_id FROM found))
       AND EXISTS (SELECT FROM verdict WHERE refusal IS NOT NULL)
       AND failed_attempts < %(limit)s AND {_ACTIVE}
    RETURNING code_id, failed_attempts
), events AS MATERIALIZED (
    SELECT gen_random_uuid() AS event_id, type, code_id, failed_attempts, rank FROM (
        SELECT 'code.failure_counted' AS type, code_id, failed_attempts, 1 AS rank FROM charged
        UNION ALL
        SELECT 'code.invalidated', code_id, failed_attempts, 2 FROM charged
         WHERE failed_attempts >= %(limit)s) AS e
), announced AS (
    INSERT INTO outbox (message_id, kind, destination, body, headers, created_at)
    SELECT event_id, 'event', type, jsonb_build_object(
               'event_id', event_id, 'type', type, 'version', %(version)s::int,
               'occurred_at', %(occurred_at)s::text, 'producer', %(producer)s::text,
               'correlation_id', %(event_correlation_id)s::text, 'payload', CASE
               WHEN type = 'code.failure_counted' THEN jsonb_build_object(
                   'code_id', code_id, 'failed_attempts', failed_attempts,
                   'client_address', %(masked_address)s::text)
               ELSE jsonb_build_object('code_id', code_id, 'reason', 'too_many_attempts',
                                       'failed_attempts', failed_attempts) END),
           CASE WHEN type = 'code.failure_counted' THEN '{{"{QUIET}": true}}'::jsonb
                ELSE '{{}}'::jsonb END, %(now)s
      FROM events ORDER BY rank, code_id
), notified AS MATERIALIZED (
    SELECT pg_notify(%(channel)s, '') FROM events WHERE type = 'code.invalidated' LIMIT 1
)
SELECT refusal, value_code_id,
       ARRAY(SELECT code_id FROM charged ORDER BY code_id) AS charged_ids,
       ARRAY(SELECT failed_attempts FROM charged ORDER BY code_id) AS charged_counts,
       (SELECT count(*) FROM notified) AS notified
  FROM verdict
"""


def check_or_charge(
    conn: Connection, *, digest: str, number: str, birth_date: date, now: datetime,
    limit: int, client_address: str, correlation_id: str | None, producer: str,
) -> Step2Check:
    """Step 2's first statement (R4, R5): the same look-up whatever was entered, and for a
    refusal its whole effect, committed by itself when `conn` is in autocommit. The audit
    row keeps `correlation_id` as given; the events carry a new one when it is None (as
    shared.contracts.events.new_event does)."""
    refusal, code_id, ids, counts, _ = conn.execute(CHECK_OR_CHARGE, {
        "digest": digest, "number": number, "birth_date": birth_date, "now": now,
        "limit": limit, "client_address": client_address, "correlation_id": correlation_id,
        "version": ENVELOPE_VERSION, "occurred_at": iso(now), "producer": producer,
        "event_correlation_id": correlation_id or str(uuid.uuid4()),
        "masked_address": mask_address(client_address), "channel": CHANNEL,
    }).fetchone()
    return Step2Check(refusal, code_id, dict(zip(ids, counts, strict=True)))


def lock_code(conn: Connection, code_id: uuid.UUID) -> Code | None:
    """The code's row, locked until the transaction ends."""
    with conn.cursor(row_factory=dict_row) as cur:
        return _code(cur.execute(
            f"SELECT {_CODE_COLUMNS} FROM codes WHERE code_id = %s FOR UPDATE",
            (code_id,)).fetchone())


def mark_code_used(
    conn: Connection, code_id: uuid.UUID, account_id: uuid.UUID, now: datetime
) -> bool:
    """R12: single use; False when another transaction used the code first."""
    return conn.execute(
        "UPDATE codes SET used_at = %s, account_id = %s WHERE code_id = %s AND used_at IS NULL",
        (now, account_id, code_id)).rowcount == 1
