-- HTTP Idempotency-Key records, written in the same transaction as the events they produced, so a
-- retried request either finds its first answer or finds nothing was written.
create table idempotency_keys (
    -- Whose key it is (the API token id): clients cannot collide with each other's keys.
    scope text not null,
    -- The client's Idempotency-Key header.
    key text not null,
    -- SHA-256 of the request (method, path, body): the same key with another request is refused.
    request_hash bytea not null,
    -- What the first request wrote.
    stream_id text not null,
    stream_version bigint not null,
    first_position bigint not null,
    last_position bigint not null,
    -- The body of the first response, replayed verbatim.
    response jsonb not null,
    recorded_at timestamptz not null,
    primary key (scope, key)
);
