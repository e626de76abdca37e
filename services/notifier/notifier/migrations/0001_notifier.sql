-- The notifier's own tables: one delivery per auth-key mail, and the expiry timers.
-- Nothing secret is stored: no auth key, no address.
CREATE TABLE deliveries (
    application_id  uuid        PRIMARY KEY,
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sent', 'failed')),
    valid_until     timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    message_id      text,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,          -- when the SMTP server accepted the mail
    failed_at       timestamptz,
    failure_reason  text
);

CREATE TABLE timers (
    id              bigserial   PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('code.expired', 'auth_key.expired')),
    subject_id      uuid        NOT NULL,  -- the code_id or the application_id
    due_at          timestamptz,           -- NULL while only a cancellation is known
    correlation_id  text,
    created_at      timestamptz NOT NULL,
    fired_at        timestamptz,
    cancelled_at    timestamptz,
    cancel_reason   text,
    UNIQUE (kind, subject_id)
);
CREATE INDEX timers_pending ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
