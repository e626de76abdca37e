-- B1 ceiling, correct triple: the statements registration's step 2 runs when it opens an
-- application (usecases.applications.submit_application, _open_application, _audited), in its order,
-- one round trip each: BEGIN, store.codes.codes_for_step2, store.codes.lock_code,
-- store.applications.mails_since, store.accounts.email_registered,
-- store.applications.void_open_applications, store.applications.insert_application,
-- outbox.add_task (INSERT + NOTIFY), store.audit.add_audit, COMMIT.
-- The seeded codes' ids are md5(k); the random token and key digests the app makes in
-- Python are made here by PostgreSQL.
\set k random(1, :codes)
BEGIN;
(SELECT 'value' AS found_by, code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE code_digest = lpad(:k::text, 64, '0')) UNION ALL (SELECT 'number' AS found_by, code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE job_seeker_number = '99999-' || :k AND used_at IS NULL AND invalidated_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL AND expired_at IS NULL AND expires_at > now() ORDER BY issued_at DESC LIMIT 1);
SELECT code_id, job_seeker_number, birth_date, issued_at, expires_at, failed_attempts, invalidated_at, revoked_at, revoke_reason, superseded_at, expired_at, used_at FROM codes WHERE code_id = md5(:k::text)::uuid FOR UPDATE;
SELECT issued_at FROM applications WHERE code_id = md5(:k::text)::uuid AND issued_at > now() - interval '1 hour' ORDER BY issued_at;
SELECT 1 FROM accounts WHERE email_canonical = 'p' || :k || '@example.jp';
UPDATE applications SET status = 'voided', closed_at = now(), auth_key_digest = NULL WHERE code_id = md5(:k::text)::uuid AND status = 'open';
INSERT INTO applications (application_id, code_id, email, token_digest, auth_key_digest, issued_at, privacy_policy_version, terms_of_use_version) VALUES (gen_random_uuid(), md5(:k::text)::uuid, 'p' || :k || '@example.jp', md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text), now(), '2026-04-01', '2026-04-01');
INSERT INTO outbox (message_id, kind, destination, body, headers, created_at) VALUES (gen_random_uuid(), 'task', 'bench.mail', jsonb_build_object('task', 'notifier.send_auth_key_mail', 'kwargs', jsonb_build_object('application_id', gen_random_uuid()::text, 'email', 'p' || :k || '@example.jp', 'auth_key', 'ABCDEFGH', 'issued_at', '2026-11-25T12:00:00.000000Z', 'valid_until', '2026-11-25T12:50:00.000000Z')), '{"correlation_id": "c0a8e5f2-3f0e-4c52-9d1e-6a3b1e0f2d7a"}', now());
NOTIFY outbox;
INSERT INTO audit_log (occurred_at, action, client_address, outcome, code_id, application_id, account_id, correlation_id) VALUES (now(), 'application', '203.0.113.7', 'CREATED', md5(:k::text)::uuid, gen_random_uuid(), NULL, 'c0a8e5f2-3f0e-4c52-9d1e-6a3b1e0f2d7a');
END;
