-- What the worker's /metrics reads (docs/METRICS.md): when the key was issued, so the
-- delivery time runs from the issue (B2) to the SMTP server's acceptance, and how many
-- attempts failed and were retried.
ALTER TABLE deliveries ADD COLUMN issued_at timestamptz;
ALTER TABLE deliveries ADD COLUMN retries integer NOT NULL DEFAULT 0;
CREATE INDEX deliveries_pending ON deliveries (valid_until) WHERE status = 'pending';
