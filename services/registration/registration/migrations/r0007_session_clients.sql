-- R19: what a session shows of where it was opened: the client's network (the address
-- masked to /24, IPv6 /48: shared.logs.mask_address; never the full address) and the
-- browser family ("Firefox on Windows"). NULL in sessions opened before this (listed as
-- "unknown"): an account whose sessions all predate it is logged in for the first time as
-- far as R20 knows, so deploying this mails no notice storm.
ALTER TABLE sessions ADD COLUMN client_address text;
ALTER TABLE sessions ADD COLUMN browser text;
-- R19's list and "end all but this one" read an account's open sessions; R20 asks whether
-- the account ever had one (its first login mails no notice).
CREATE INDEX sessions_by_account ON sessions (account_id, ended_at);

-- R20: the clients (browser family + masked network) each account was seen from, at
-- registration (step 3) and at each login. A login from one not seen for 90 days mails a
-- notice. Rows older than 90 days are purged a few at a time by the logins themselves.
CREATE TABLE seen_clients (
    account_id      uuid        NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    browser         text        NOT NULL,
    client_address  text        NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, browser, client_address)
);
CREATE INDEX seen_clients_by_time ON seen_clients (last_seen_at);
