-- Every track stored gets its stretches in the same statement: a statement-level trigger,
-- so an upload of many pieces (store_patrol_upload, the demo, an import) places all its
-- fixes in one query. Runs with the rights of whoever stores the track (the service may
-- insert stretches, never change them).
CREATE OR REPLACE FUNCTION stretch_new_tracks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO patrol_stretches (county_code, track_id, team_id, grid_code, entered_at,
                                  left_at, inside_s, month)
    SELECT * FROM patrol_stretches_of(ARRAY(SELECT n.track_id FROM new_tracks AS n));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER patrol_tracks_stretched
AFTER INSERT ON patrol_tracks
REFERENCING NEW TABLE AS new_tracks
FOR EACH STATEMENT EXECUTE FUNCTION stretch_new_tracks();
