-- R15 forgotten password: one row per reset mail. Only keyed digests of the reset token
-- and the reset key are kept; the key's digest is purged once the reset closes. The
-- person's birth date is read through the account's code (accounts.code_id -> codes),
-- which registration's code view already holds: nothing new about the person is stored.
CREATE TABLE password_resets (
    reset_id                 uuid PRIMARY KEY,
    account_id               uuid        NOT NULL REFERENCES accounts (account_id),
    token_digest             text        NOT NULL UNIQUE,
    key_digest               text,       -- purged when the reset closes
    issued_at                timestamptz NOT NULL,
    delivered_at             timestamptz,  -- notice.mailed: the key's 50 minutes start here
    delivery_failed_at       timestamptz,
    delivery_failure_reason  text,
    key_failures             integer     NOT NULL DEFAULT 0 CHECK (key_failures >= 0),
    status                   text        NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'voided', 'used', 'undeliverable')),
    closed_at                timestamptz
);
-- R15: at most 3 reset mails per account per hour (each reset is one mail).
CREATE INDEX password_resets_by_account_time ON password_resets (account_id, issued_at);
-- A new reset voids the account's earlier open one: at most one open reset per account.
CREATE UNIQUE INDEX password_resets_one_open_per_account
    ON password_resets (account_id) WHERE status = 'open';

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('application', 'password_registration', 'login', 'password_reset'));
