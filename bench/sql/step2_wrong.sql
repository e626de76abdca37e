-- B1 ceiling, wrong triple: the statements registration's step 2 runs for an
-- IDENTITY_MISMATCH (applications.submit_application, _refuse_identity, _audited), in its
-- order, with its parameters: code_store.code_by_digest (a digest nobody has),
-- code_store.active_code_of_number, code_store.charge_failure twice (the number's code, then
-- NULL: R5's same statements for every mismatch), store.add_audit.
-- :k picks one of the seeded job seekers; :now is the transaction's now() (the app's clock).
\set k random(1, :codes)
BEGIN;
SELECT code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE code_digest = 'f' || lpad(:k::text, 63, '0');
SELECT code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE job_seeker_number = '99999-' || :k AND used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > now() ORDER BY issued_at DESC LIMIT 1 \gset
UPDATE codes SET failed_attempts = failed_attempts + 1, invalidated_at = CASE WHEN failed_attempts + 1 >= :limit THEN now() ELSE NULL END WHERE code_id = :code_id AND failed_attempts < :limit AND used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > now() RETURNING failed_attempts;
UPDATE codes SET failed_attempts = failed_attempts + 1, invalidated_at = CASE WHEN failed_attempts + 1 >= :limit THEN now() ELSE NULL END WHERE code_id = NULL AND failed_attempts < :limit AND used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > now() RETURNING failed_attempts;
INSERT INTO audit_log (occurred_at, action, client_address, outcome, code_id, application_id, account_id, correlation_id) VALUES (now(), 'application', '203.0.113.7', 'IDENTITY_MISMATCH', :code_id, NULL, NULL, 'c0a8e5f2-3f0e-4c52-9d1e-6a3b1e0f2d7a');
END;
