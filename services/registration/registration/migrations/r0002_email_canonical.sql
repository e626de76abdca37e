-- Issue 13 item 3: one canonical email (inputs.canonical_email: the ASCII address, lower-
-- cased) in its own column; R6's uniqueness, the login lookup and the login throttle all
-- compare it, instead of PostgreSQL's lower() here and Python's lower() there.
ALTER TABLE accounts ADD COLUMN email_canonical text;
-- translate() folds A-Z alone, as Python does on the ASCII addresses R6 lets in
-- (PostgreSQL's lower() follows the collation: it also folds İ and the Kelvin sign).
UPDATE accounts
   SET email_canonical = translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                                          'abcdefghijklmnopqrstuvwxyz');
ALTER TABLE accounts ALTER COLUMN email_canonical SET NOT NULL;
CREATE UNIQUE INDEX accounts_email_canonical_key ON accounts (email_canonical);
DROP INDEX accounts_email_key;
