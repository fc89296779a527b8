-- Generations of the read models (see ARCHITECTURE.md, "Read side"). Each generation is a full set
-- of read-model tables in its own place (a SQLite file beside this one, or a schema read_g<N>). A
-- rebuild fills a new generation from position 0 while the active one keeps serving reads, then
-- makes it active in one update; serving processes notice and switch.
create table read_generations (
    generation bigint primary key,
    -- building, active or retired; at most one is active.
    state text not null,
    -- The projection versions it was built with, e.g. 'directory=1,progress=1'.
    versions text not null,
    created_at timestamptz not null,
    activated_at timestamptz,
    constraint read_generations_state_check check (state in ('building', 'active', 'retired'))
);
