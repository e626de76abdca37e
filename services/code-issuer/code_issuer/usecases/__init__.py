"""One function per use case: the office's requests and the events the code-issuer consumes.

Each has the same shape: `(conn, cmd, now, *, dependencies)`. It runs in the caller's
transaction (the view or the inbox claim opens it) and raises `shared.errors.Refused` for
what the rules refuse; state changes and the events they cause are written together
(transactional outbox).
"""

from __future__ import annotations

from code_issuer.usecases.consumed import (
    close_job_seeker,
    correct_job_seeker,
    record_account_closed,
    record_account_registered,
    record_expiry,
    record_failure,
    record_invalidation,
    record_use,
    register_job_seeker,
)
from code_issuer.usecases.office import (
    Issued,
    code_view,
    issue_code,
    list_codes,
    revoke_code,
    show_job_seeker,
)

__all__ = [
    "Issued", "close_job_seeker", "code_view", "correct_job_seeker", "issue_code", "list_codes",
    "record_account_closed", "record_account_registered", "record_expiry", "record_failure",
    "record_invalidation", "record_use", "register_job_seeker", "revoke_code", "show_job_seeker",
]
