"""SQL of the code-issuer, by hand, a module per table (`codes`, `job_seekers`,
`issue_requests`, `accounts`); the caller owns the transaction (nothing here commits).
The use cases call them as `store.<function>`."""

from pathlib import Path

from code_issuer.store.accounts import accounts_of, record_account_closed, record_account_registered
from code_issuer.store.codes import (
    CodeRow,
    codes_of,
    digest_exists,
    end_code,
    get_code,
    insert_code,
    open_codes,
    record_failed_attempts,
    record_failure,
    record_use,
)
from code_issuer.store.issue_requests import (
    IssueRequestRow,
    get_issue_request,
    lock_issue_request,
    purge_issue_requests,
    save_issue_request,
)
from code_issuer.store.job_seekers import get_job_seeker, lock_job_seeker, save_job_seeker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

__all__ = [
    "MIGRATIONS", "CodeRow", "IssueRequestRow", "accounts_of", "codes_of", "digest_exists",
    "end_code", "get_code", "get_issue_request", "get_job_seeker", "insert_code",
    "lock_issue_request", "lock_job_seeker", "open_codes", "purge_issue_requests",
    "record_account_closed", "record_account_registered", "record_failed_attempts",
    "record_failure", "record_use", "save_issue_request", "save_job_seeker",
]
