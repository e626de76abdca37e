-- depends: ci_0002_last_failure
-- Issue 17. Idempotent issuing (DESIGN §4 `Idempotency-Key`): one row per office key and
-- idempotency key, both kept only as keyed digests (HMAC-SHA256), with what the first
-- answer said apart from the plain code (never stored). Rows older than 24 hours are
-- purged and never honoured.
CREATE TABLE issue_requests (
    office_key_digest text        NOT NULL,  -- purpose "office-key": which office key asked
    key_digest        text        NOT NULL,  -- purpose "idempotency-key"
    request_digest    text        NOT NULL,  -- the request's number and birth date
    code_id           uuid        NOT NULL REFERENCES codes (code_id),
    superseded        uuid[]      NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (office_key_digest, key_digest)
);
CREATE INDEX issue_requests_by_age ON issue_requests (created_at);

-- R12 seen from the counter: the accounts registration opened and closed
-- (account.registered, account.closed), in any arrival order. A `closed` that arrives
-- before its `registered` leaves registered_at NULL until the latter comes.
CREATE TABLE accounts (
    account_id        uuid        PRIMARY KEY,
    job_seeker_number text        NOT NULL,
    registered_at     timestamptz,
    closed_at         timestamptz
);
CREATE INDEX accounts_of_job_seeker ON accounts (job_seeker_number);
