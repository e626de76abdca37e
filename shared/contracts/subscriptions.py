"""Who consumes which event types (DESIGN.md §3, the catalog's last column): each
service's queue is bound to exactly these, and its consumer's handlers must match them
(`shared.handlers.Handlers`)."""

from __future__ import annotations

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "code_issuer": (
        "code.invalidated",
        "code.failure_counted",
        "code.used",
        "code.expired",
        "job_seeker.registered",
        "job_seeker.corrected",
        "job_seeker.closed",
        "account.registered",
        "account.closed",
    ),
    "registration": (
        "code.issued",
        "code.revoked",
        "code.expired",
        "auth_key.mailed",
        "auth_key.delivery_failed",
        "auth_key.expired",
        "notice.mailed",  # R15: the reset key's 50 minutes start at its mail's delivery
        "notice.delivery_failed",
    ),
    "notifier": ("code.issued", "code.revoked", "code.used"),
}

