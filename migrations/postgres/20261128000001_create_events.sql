-- The event log: the only source of truth. Every other table is derived from it.
--
-- Positions are assigned by the single writer that holds the advisory write lock
-- (pg_advisory_xact_lock), as head + 1, head + 2, ...: gapless, and in commit order, because the
-- next writer can only read the head after the previous writer's commit is visible. No sequence is
-- used: a sequence value is taken before commit, which is what lets later positions become visible
-- before earlier ones (the "gap problem").
create table events (
    -- Global position: 1, 2, 3, ... in commit order, never reused.
    position bigint primary key,
    -- The stream the event belongs to, e.g. 'commitment-<uuid>'.
    stream_id text not null,
    -- Version within the stream: 1, 2, 3, ...
    stream_version bigint not null,
    -- Client-chosen event id; appending a stored id again is idempotent.
    event_id uuid not null,
    -- Stable wire name of the event type, e.g. 'progress_reported'.
    event_type text not null,
    -- Schema version of the payload; older versions are upcast on read, never rewritten.
    schema_version integer not null,
    -- The event's data.
    payload jsonb not null,
    -- Actor (token id, role), correlation and causation ids.
    metadata jsonb not null,
    -- Commit time; never decreases along positions.
    recorded_at timestamptz not null,
    -- SHA-256 over the previous event's hash and this event's canonical encoding.
    hash bytea not null,
    constraint events_stream_version_key unique (stream_id, stream_version),
    constraint events_event_id_key unique (event_id),
    constraint events_position_positive check (position > 0),
    constraint events_stream_version_positive check (stream_version > 0),
    constraint events_hash_length check (octet_length(hash) = 32)
);

-- "What did we know at time t" becomes a position bound through this index.
create index events_recorded_at_idx on events (recorded_at);

-- Events are immutable: the database itself refuses to change or remove them. Only a superuser who
-- disables the triggers can tamper, and the hash chain shows where.
create function events_refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception 'events are immutable: % is not allowed', tg_op
        using errcode = 'restrict_violation';
end;
$$;

create trigger events_refuse_update_delete
before update or delete on events
for each row execute function events_refuse_change();

create trigger events_refuse_truncate
before truncate on events
for each statement execute function events_refuse_change();
