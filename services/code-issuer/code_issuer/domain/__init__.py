"""The code-issuer's rules; no I/O, `now` passed in. A module per subject: `codes` (R1,
R2, R7), `job_seekers` (R3 and issue 9), `counter` (issue 17: idempotency keys, accounts);
the use cases call them as `domain.<name>`."""

from code_issuer.domain.codes import (
    ACTIVE,
    ENDED_STATUSES,
    STATUSES,
    CodeState,
    code_digest,
    ending,
    expires_at,
    is_expired,
    new_code,
    normalise_code,
    normalise_number,
    parse_birth_date,
    status,
)
from code_issuer.domain.counter import (
    IDEMPOTENCY_KEY_MAX,
    IDEMPOTENCY_WINDOW,
    Account,
    account_status,
    honoured,
    issue_request_value,
    valid_idempotency_key,
)
from code_issuer.domain.job_seekers import (
    MISSING,
    NEVER,
    JobSeeker,
    after_closed,
    after_corrected,
    after_registered,
    birth_date_for_issue,
    known_after_issue,
    revoked_by_closing,
    revoked_for_birth_date,
)

__all__ = [
    "ACTIVE", "ENDED_STATUSES", "IDEMPOTENCY_KEY_MAX", "IDEMPOTENCY_WINDOW", "MISSING",
    "NEVER", "STATUSES", "Account", "CodeState", "JobSeeker", "account_status", "after_closed",
    "after_corrected", "after_registered", "birth_date_for_issue", "code_digest", "ending",
    "expires_at", "honoured", "is_expired", "issue_request_value", "known_after_issue",
    "new_code", "normalise_code", "normalise_number", "parse_birth_date", "revoked_by_closing",
    "revoked_for_birth_date", "status", "valid_idempotency_key",
]
