-- The transactional outbox and the idempotent inbox every service keeps.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    message_id    uuid        NOT NULL UNIQUE,
    kind          text        NOT NULL CHECK (kind IN ('event', 'task')),
    destination   text        NOT NULL,  -- routing key of an event, queue of a task
    body          jsonb       NOT NULL,
    headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL,
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE inbox (
    event_id     uuid        PRIMARY KEY,
    event_type   text        NOT NULL,
    handled_at   timestamptz NOT NULL
);
