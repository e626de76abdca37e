-- B1 ceiling, wrong triple: the statements registration's step 2 runs for an
-- IDENTITY_MISMATCH (usecases.applications.submit_application, _refuse_identity, _audited), in its
-- order, with its parameters, one round trip each:
-- BEGIN, store.codes.codes_for_step2 (a digest nobody has; the number's active code),
-- store.audit.add_audit, store.codes.charge_failures (R5: one UPDATE for every mismatch),
-- COMMIT.
-- The seeded codes' ids are md5(k), so the UPDATE names the number's code as the app does
-- from the SELECT's answer.
-- :k picks one of the seeded job seekers; :now is the transaction's now() (the app's clock).
\set k random(1, :codes)
BEGIN;
(SELECT 'value' AS found_by, code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE code_digest = 'f' || lpad(:k::text, 63, '0')) UNION ALL (SELECT 'number' AS found_by, code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE job_seeker_number = '99999-' || :k AND used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > now() ORDER BY issued_at DESC LIMIT 1);
INSERT INTO audit_log (occurred_at, action, client_address, outcome, code_id, application_id, account_id, correlation_id) VALUES (now(), 'application', '203.0.113.7', 'IDENTITY_MISMATCH', md5(:k::text)::uuid, NULL, NULL, 'c0a8e5f2-3f0e-4c52-9d1e-6a3b1e0f2d7a');
UPDATE codes SET failed_attempts = failed_attempts + 1, invalidated_at = CASE WHEN failed_attempts + 1 >= :limit THEN now() ELSE NULL END WHERE code_id = ANY(ARRAY[md5(:k::text)::uuid]) AND failed_attempts < :limit AND used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > now() RETURNING code_id, failed_attempts;
END;
