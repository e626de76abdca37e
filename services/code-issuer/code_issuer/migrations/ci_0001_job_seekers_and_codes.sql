-- The job seekers the offices told us about and their account creation codes.
-- Codes are kept as keyed digests only (HMAC-SHA256, purpose "code"); never in plain text.
CREATE TABLE job_seekers (
    job_seeker_number text        PRIMARY KEY,
    birth_date        date,                    -- NULL only while known from a `closed` alone
    birth_date_as_of  timestamptz NOT NULL,    -- when the office set it (orders late events)
    office_id         text,
    announced         boolean     NOT NULL DEFAULT false,  -- known from an office event
    closed            boolean     NOT NULL DEFAULT false,
    closed_reason     text,
    state_as_of       timestamptz NOT NULL,    -- when `closed` was last decided
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE codes (
    code_id           uuid        PRIMARY KEY,
    job_seeker_number text        NOT NULL REFERENCES job_seekers (job_seeker_number),
    birth_date        date        NOT NULL,
    code_digest       text        NOT NULL UNIQUE,
    issued_at         timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,    -- exclusive: the first instant it is invalid (R2)
    ended_status      text        CHECK (ended_status IN
                                  ('used', 'expired', 'superseded', 'revoked', 'invalidated')),
    ended_reason      text,
    ended_at          timestamptz,
    failed_attempts   integer     NOT NULL DEFAULT 0,
    used_at           timestamptz,
    account_id        uuid,
    CHECK ((ended_status IS NULL) = (ended_at IS NULL))
);
CREATE INDEX codes_of_job_seeker ON codes (job_seeker_number, issued_at DESC);
-- R3 as a last line of defence: one code per person is open at any time.
CREATE UNIQUE INDEX codes_one_open_per_job_seeker ON codes (job_seeker_number)
    WHERE ended_status IS NULL;
