-- A new track is cut into chunks at once (blind spots and coverage read them) and waits in
-- patrol_coverage_queue until refresh_patrol_coverage counts what it passed: storing an
-- upload stays quick, and the maintenance sweep (or `onemap patrols refresh`) does the
-- join with the targets once for many uploads.
CREATE OR REPLACE FUNCTION queue_new_tracks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chunk_patrol_tracks(ARRAY(SELECT track_id FROM new_tracks));
    INSERT INTO patrol_coverage_queue (track_id, county_code)
    SELECT track_id, county_code FROM new_tracks
    ON CONFLICT (track_id, county_code) DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER patrol_tracks_queue_new AFTER INSERT ON patrol_tracks
    REFERENCING NEW TABLE AS new_tracks
    FOR EACH STATEMENT EXECUTE FUNCTION queue_new_tracks();
