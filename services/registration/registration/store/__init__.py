"""SQL by hand, a module per table (`codes`, `applications`, `accounts`, `sessions`,
`audit`): every function takes the connection first and never commits (the use case's
transaction does). Counters change with one atomic UPDATE ... RETURNING whose WHERE
re-checks the limit after the row lock: never a read followed by a write."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
