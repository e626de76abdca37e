-- R9 counts auth-key mails, not applications: an operator's re-send of a stuck mail
-- (`python -m registration ops resend`) is one more mail of the same application.
CREATE TABLE auth_key_mails (
    id              bigserial   PRIMARY KEY,
    application_id  uuid        NOT NULL REFERENCES applications (application_id),
    code_id         uuid        NOT NULL,
    issued_at       timestamptz NOT NULL
);
CREATE INDEX auth_key_mails_by_code_time ON auth_key_mails (code_id, issued_at);
INSERT INTO auth_key_mails (application_id, code_id, issued_at)
    SELECT application_id, code_id, issued_at FROM applications ORDER BY issued_at;
