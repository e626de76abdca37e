"""One function per use case, a module per area: `applications` (steps 1-2 and the
notifier's reports of the auth-key mail), `registrations` (step 3), `sessions` (login,
/v1/me, logout, R19's session list), `clients` (R20's sightings and new-login notice),
`codes` (the codes view from code-issuer's events).

Each has the same shape: `(conn or pool, command, now, *, dependencies)`, and raises
`shared.errors.Refused` for what the rules refuse; nothing here knows about HTTP. A use
case that audits its refusals commits them first (its own transaction, or transactions
around argon2 when given the pool); the consumer's run in the inbox claim's transaction.
"""
