-- The event log: the only source of truth. Every other table is derived from it.
--
-- Positions are assigned by the single writer that holds the write lock (BEGIN IMMEDIATE), as
-- head + 1, head + 2, ...: gapless, and in commit order.
create table events (
    -- Global position: 1, 2, 3, ... in commit order, never reused. Alias of the rowid.
    position integer primary key,
    -- The stream the event belongs to, e.g. 'commitment-<uuid>'.
    stream_id text not null,
    -- Version within the stream: 1, 2, 3, ...
    stream_version integer not null,
    -- Client-chosen event id (UUID text); appending a stored id again is idempotent.
    event_id text not null,
    -- Stable wire name of the event type, e.g. 'progress_reported'.
    event_type text not null,
    -- Schema version of the payload; older versions are upcast on read, never rewritten.
    schema_version integer not null,
    -- The event's data, canonical JSON text.
    payload text not null,
    -- Actor (token id, role), correlation and causation ids, canonical JSON text.
    metadata text not null,
    -- Commit time, RFC 3339 UTC with microseconds; never decreases along positions.
    recorded_at text not null,
    -- SHA-256 over the previous event's hash and this event's canonical encoding (32 bytes).
    hash blob not null,
    constraint events_stream_version_key unique (stream_id, stream_version),
    constraint events_event_id_key unique (event_id),
    constraint events_position_positive check (position > 0),
    constraint events_stream_version_positive check (stream_version > 0),
    constraint events_hash_length check (length(hash) = 32)
);

-- "What did we know at time t" becomes a position bound through this index.
create index events_recorded_at_idx on events (recorded_at);

-- Events are immutable: the database itself refuses to change or remove them. (SQLite has no
-- TRUNCATE; a DELETE without WHERE still fires the delete trigger, because triggers disable the
-- truncate optimisation.)
create trigger events_refuse_update
before update on events
begin
    select raise(abort, 'events are immutable: UPDATE is not allowed');
end;

create trigger events_refuse_delete
before delete on events
begin
    select raise(abort, 'events are immutable: DELETE is not allowed');
end;
