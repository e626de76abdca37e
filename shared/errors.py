"""What a use case raises when the rules refuse a request; the edge maps `code` to an
answer (an HTTP status, a task's outcome)."""

from __future__ import annotations

from collections.abc import Mapping


class Refused(Exception):
    """A request the rules refuse. `code` is an error code of the HTTP contract
    (DESIGN.md §4); `retry_after` seconds and per-field messages where they apply; `details`
    are facts the person may be told beside the code (e.g. `attempts_left` after a wrong
    key), answered as members of the error object."""

    def __init__(self, code: str, *, retry_after: int | None = None,
                 fields: Mapping[str, list[str]] | None = None,
                 details: Mapping[str, int | str] | None = None):
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after
        self.fields = dict(fields or {})
        self.details = dict(details or {})
