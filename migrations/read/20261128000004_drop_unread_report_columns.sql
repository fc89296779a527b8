-- A report's narrative and exact recording time are shown from the event log (commitment pages,
-- the API's history), never read from here. Writing them made every rebuild copy some 100 MB of
-- text at a million events.
alter table progress_reports drop column narrative;
alter table progress_reports drop column recorded_at;
