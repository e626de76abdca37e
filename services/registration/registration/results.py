"""What every use case takes about its caller and gives back to its entrypoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who made a request: recorded in the audit trail, never a secret."""

    client_address: str
    correlation_id: str | None


@dataclass(frozen=True)
class Outcome:
    """A status, a code (`CREATED`, `OK` or an error code of DESIGN.md §4) and a body."""

    status: int
    code: str
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status < 300
