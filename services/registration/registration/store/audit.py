"""SQL of `audit_log`: who tried what, from where, with what result."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection


def add_audit(
    conn: Connection,
    *,
    action: str,
    client_address: str,
    outcome: str,
    now: datetime,
    correlation_id: str | None,
    code_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
) -> None:
    """Who tried what, from where, with what result; never a submitted secret."""
    conn.execute(
        "INSERT INTO audit_log (occurred_at, action, client_address, outcome, code_id, "
        "application_id, account_id, correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (now, action, client_address, outcome, code_id, application_id, account_id,
         correlation_id),
    )
