-- Secondary indexes that a build from position 0 drops while it fills a generation, and creates
-- again before the generation serves reads: one sort per index at the end costs far less than
-- keeping every index in order through millions of inserts and closes. The definitions are kept
-- here, in the generation itself, so that a build resumed after a crash still restores them.
create table deferred_indexes (
    name text primary key,
    ddl text not null
);
