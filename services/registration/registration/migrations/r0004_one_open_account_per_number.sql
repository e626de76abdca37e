-- R12 (issue 17): one open account per job seeker. "Open" = not closed: `closed_at` is set
-- by R18's withdrawal, which frees the number for a new account (from a new code).
ALTER TABLE accounts ADD COLUMN closed_at timestamptz;
-- Before this rule a person could open a second account with a re-issued code. Such
-- accounts stay open (closing someone's account is the office's decision, not a
-- migration's): every one after the first of its number is marked, and left out of the
-- index below; step 2 and step 3 still see them as open accounts of that number. Find them
-- with: SELECT account_id, job_seeker_number FROM accounts WHERE opened_before_r12_as_second.
ALTER TABLE accounts ADD COLUMN opened_before_r12_as_second boolean NOT NULL DEFAULT false;
UPDATE accounts a SET opened_before_r12_as_second = true
 WHERE EXISTS (SELECT 1 FROM accounts b
                WHERE b.job_seeker_number = a.job_seeker_number
                  AND (b.registered_at, b.account_id) < (a.registered_at, a.account_id));
-- Exact under any concurrency: of two step 3s racing for one number, the second insert
-- waits for the first to commit, then fails on this index (answered ACCOUNT_EXISTS).
CREATE UNIQUE INDEX accounts_one_open_per_number ON accounts (job_seeker_number)
    WHERE closed_at IS NULL AND NOT opened_before_r12_as_second;
-- Step 2's and step 3's look-up of a number's open accounts (the index above is partial).
CREATE INDEX accounts_by_number ON accounts (job_seeker_number);
