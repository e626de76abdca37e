-- R16-R18 (issue 18): password change, email change, withdrawal.

-- R18: a withdrawal erases the person's email and password hash; the row stays (closed_at,
-- r0004) with its number, times and code, so that R12's "one open account per number" and
-- the code's single use keep holding. Only a closed account may lack them. NULLs are
-- distinct in the unique index on email_canonical: the address is free at once (R6).
ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;
ALTER TABLE accounts ALTER COLUMN email_canonical DROP NOT NULL;
ALTER TABLE accounts ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE accounts ADD CONSTRAINT accounts_erased_only_when_closed CHECK (
    closed_at IS NOT NULL
    OR (email IS NOT NULL AND email_canonical IS NOT NULL AND password_hash IS NOT NULL));
-- What the audit keeps of a closed account's address: a keyed digest (shared.tokens), so
-- the office can answer "was this address's account closed, and when" without the address.
ALTER TABLE accounts ADD COLUMN closed_email_digest text;
ALTER TABLE accounts ADD COLUMN closed_reason text
    CHECK (closed_reason IS NULL OR closed_reason IN ('withdrawal'));

-- R18: the application that opened the account held its address too (erased with it); an
-- open application always has one.
ALTER TABLE applications ALTER COLUMN email DROP NOT NULL;
ALTER TABLE applications ADD CONSTRAINT applications_email_unless_closed
    CHECK (status <> 'open' OR email IS NOT NULL);

-- R17: one row per email-change key mail. Only keyed digests of the change token and the
-- key; the key's digest is purged once the change closes, and the new address is erased
-- with the account (R18).
CREATE TABLE email_changes (
    change_id                uuid PRIMARY KEY,
    account_id               uuid        NOT NULL REFERENCES accounts (account_id),
    new_email                text,
    token_digest             text        NOT NULL UNIQUE,
    key_digest               text,       -- purged when the change closes
    issued_at                timestamptz NOT NULL,
    delivered_at             timestamptz,  -- notice.mailed: the key's 50 minutes start here
    delivery_failed_at       timestamptz,
    key_failures             integer     NOT NULL DEFAULT 0 CHECK (key_failures >= 0),
    status                   text        NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'voided', 'confirmed', 'taken', 'undeliverable')),
    closed_at                timestamptz,
    CHECK (status <> 'open' OR new_email IS NOT NULL)
);
-- Mails per account per hour; a new change voids the earlier open one.
CREATE INDEX email_changes_by_account_time ON email_changes (account_id, issued_at);
CREATE UNIQUE INDEX email_changes_one_open_per_account
    ON email_changes (account_id) WHERE status = 'open';

-- R16-R18's audit rows. 'password_reset' is R15's (r0005): listed here as well, so that
-- this constraint holds whichever of the two branches' migrations a database got first.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('application', 'password_registration', 'login', 'password_reset',
                      'password_change', 'email_change', 'withdrawal'));
