-- depends: ci_0001_job_seekers_and_codes
-- Issue 13 item 9: staff see failed step-2 attempts as they are counted
-- (code.failure_counted), with when the last one was counted and where it came from:
-- the client address masked to its /24 (IPv4) or /48 (IPv6) network, or 'unknown'.
ALTER TABLE codes
    ADD COLUMN last_failure_at   timestamptz,
    ADD COLUMN last_failure_from text;
