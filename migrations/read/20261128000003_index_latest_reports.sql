-- The latest report of a commitment, for reporting freshness, read from the index alone: the
-- table's own rows carry the narrative, and reading them cost a progress query at a million
-- events twice as much as everything else it did.
create index progress_reports_latest
    on progress_reports (commitment_id, recorded_on, position, retracted_position);
