-- The other mails (shared.contracts.tasks: send_key_mail's reset and email-change keys,
-- send_notice's notices): one row per mail, delivered once, like deliveries (0001) for the
-- auth key. Nothing secret is stored: no key, no address, no client address.
CREATE TABLE notices (
    notice_id       uuid        NOT NULL,  -- the notice's id (a key mail's mail_id)
    kind            text        NOT NULL,  -- password_reset_key, ..., new_login, account_closed
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sent', 'failed')),
    valid_until     timestamptz NOT NULL,  -- a key mail: its key's; a notice: its retries' end
    issued_at       timestamptz,           -- a key mail: its key's issue; a notice: occurred_at
    attempts        integer     NOT NULL DEFAULT 0,
    retries         integer     NOT NULL DEFAULT 0,
    last_error      text,
    message_id      text,
    created_at      timestamptz NOT NULL,  -- the first attempt
    delivered_at    timestamptz,           -- when the SMTP server accepted the mail
    failed_at       timestamptz,
    failure_reason  text,
    PRIMARY KEY (notice_id, kind)
);
CREATE INDEX notices_pending ON notices (valid_until) WHERE status = 'pending';

-- Every mail, whatever its table: what the worker's /metrics reads, by kind.
CREATE VIEW mails AS
    SELECT 'auth_key'::text AS kind, application_id AS mail_id, status, valid_until, issued_at,
           attempts, retries, created_at, delivered_at, failure_reason
      FROM deliveries
    UNION ALL
    SELECT kind, notice_id, status, valid_until, issued_at,
           attempts, retries, created_at, delivered_at, failure_reason
      FROM notices;
