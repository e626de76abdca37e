-- Registration's own tables: its view of codes (from code.* events), applications (steps
-- 2-3), accounts, sessions and the audit trail. Secrets are stored only as keyed digests.
CREATE TABLE codes (
    code_id            uuid PRIMARY KEY,
    -- NULL while only a revoke/expiry has arrived (a tombstone waiting for its issue)
    job_seeker_number  text,
    birth_date         date,
    code_digest        text UNIQUE,
    issued_at          timestamptz,
    expires_at         timestamptz,
    failed_attempts    integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    invalidated_at     timestamptz,
    revoked_at         timestamptz,
    revoke_reason      text,
    superseded_at      timestamptz,
    expired_at         timestamptz,
    used_at            timestamptz,
    account_id         uuid
);
CREATE INDEX codes_by_number ON codes (job_seeker_number, issued_at DESC);

CREATE TABLE applications (
    application_id          uuid PRIMARY KEY,
    code_id                 uuid        NOT NULL REFERENCES codes (code_id),
    email                   text        NOT NULL,
    token_digest            text        NOT NULL UNIQUE,
    auth_key_digest         text,       -- purged when the application closes
    issued_at               timestamptz NOT NULL,
    delivered_at            timestamptz,
    delivery_failed_at      timestamptz,
    delivery_failure_reason text,
    key_failures            integer     NOT NULL DEFAULT 0,
    status                  text        NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'voided', 'expired', 'undeliverable', 'completed')),
    closed_at               timestamptz,
    privacy_policy_version  text        NOT NULL,
    terms_of_use_version    text        NOT NULL
);
-- R9: at most one open application per code, whatever the concurrency.
CREATE UNIQUE INDEX applications_one_open_per_code ON applications (code_id) WHERE status = 'open';
CREATE INDEX applications_by_code_time ON applications (code_id, issued_at);

CREATE TABLE accounts (
    account_id              uuid PRIMARY KEY,
    email                   text        NOT NULL,
    job_seeker_number       text        NOT NULL,
    code_id                 uuid        NOT NULL UNIQUE REFERENCES codes (code_id),
    password_hash           text        NOT NULL,
    registered_at           timestamptz NOT NULL,
    privacy_policy_version  text        NOT NULL,
    terms_of_use_version    text        NOT NULL
);
-- R6: one account per email, case-insensitive.
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

CREATE TABLE sessions (
    session_id    uuid PRIMARY KEY,
    account_id    uuid        NOT NULL REFERENCES accounts (account_id),
    token_digest  text        NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    ended_at      timestamptz
);

CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    action          text        NOT NULL CHECK (action IN ('application', 'password_registration', 'login')),
    client_address  text        NOT NULL,
    outcome         text        NOT NULL,
    code_id         uuid,
    application_id  uuid,
    account_id      uuid,
    correlation_id  text
);
CREATE INDEX audit_log_by_code ON audit_log (code_id, occurred_at);
