-- Read models: everything here is derived from the event log and can be rebuilt from position 0.
-- One copy of these tables exists per generation (a SQLite file or a PostgreSQL schema); a rebuild
-- fills a new generation and switches to it when caught up. The SQL is portable: it runs unchanged
-- on SQLite and PostgreSQL. Dates are ISO 8601 text ('YYYY-MM-DD'), which sorts as it compares.
--
-- The two clocks: rows carry `known_from`/`known_to`, the global positions between which the row
-- was the known truth (known_to null: still is), and status rows also carry `valid_from`/`valid_to`,
-- the effective dates between which the state held (valid_to null: still holds). "As of D, as known
-- at position P" selects rows with known_from <= P < known_to and valid_from <= D < valid_to.

-- Where each projection stands: written in the same transaction as the rows it covers.
create table checkpoints (
    projection text primary key,
    version integer not null,
    position bigint not null,
    updated_at text not null
);

-- Mechanisms, as registered.
create table mechanisms (
    mechanism_id text primary key,
    known_from bigint not null,
    name text not null,
    kind text not null,
    region text
);

-- Recommendations, built in and added.
create table recommendations (
    recommendation_id text primary key,
    known_from bigint not null,
    text text not null,
    theme text not null,
    source text not null
);

-- Follow-up review dates.
create table review_points (
    review_point_id text primary key,
    known_from bigint not null,
    name text not null,
    starts_on text not null,
    ends_on text not null
);

-- A commitment's fields between two positions. Revisions are corrections: they apply to every
-- effective date, so this table is versioned on the known axis only.
create table commitment_versions (
    commitment_id text not null,
    known_from bigint not null,
    known_to bigint,
    mechanism_id text not null,
    title text not null,
    description text not null,
    made_on text not null,
    due_date text,
    -- JSON arrays, for display; filtering uses commitment_links.
    gcm_objectives text not null,
    sdg_targets text not null,
    recommendation_ids text not null,
    -- JSON object or null.
    indicator text,
    primary key (commitment_id, known_from)
);

create index commitment_versions_current on commitment_versions (known_to, commitment_id);

-- What a commitment serves, between two positions: kind is 'objective', 'sdg_target' or
-- 'recommendation'. The mechanism is copied here so filters need no join.
create table commitment_links (
    commitment_id text not null,
    kind text not null,
    link text not null,
    known_from bigint not null,
    known_to bigint,
    mechanism_id text not null,
    primary key (commitment_id, kind, link, known_from)
);

create index commitment_links_by_link on commitment_links (kind, link, known_to);

-- Status and percent complete on effective dates [valid_from, valid_to), between two positions.
-- basis 0 counts every non-retracted, non-rejected update; basis 1 only validated ones.
create table commitment_status (
    commitment_id text not null,
    basis integer not null,
    valid_from text not null,
    valid_to text,
    known_from bigint not null,
    known_to bigint,
    status text not null,
    percent integer,
    mechanism_id text not null,
    primary key (commitment_id, basis, valid_from, known_from)
);

create index commitment_status_now on commitment_status (basis, known_to, valid_to);
create index commitment_status_by_commitment on commitment_status (commitment_id, basis, known_to);

-- Progress reports, for freshness and "what moved". retracted_position: when it was taken back.
create table progress_reports (
    commitment_id text not null,
    seq integer not null,
    position bigint not null,
    recorded_at text not null,
    recorded_on text not null,
    effective_date text not null,
    status text not null,
    percent integer,
    narrative text not null,
    retracted_position bigint,
    mechanism_id text not null,
    primary key (commitment_id, seq)
);

create index progress_reports_by_effective on progress_reports (effective_date);
