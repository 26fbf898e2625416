-- Count what patrols passed: add to each month's patrolled_targets every target within R
-- metres (EPSG:4545, planar) of a chunk of the queued tracks (chunk_patrol_tracks): R is
-- p_radius_m, or the radius of the county's standard for base grids (patrol_standards),
-- or 30.
-- Coverage only grows as tracks arrive, so queued tracks are added to the month sets
-- (first and last times widened, passes summed); p_full recounts the county's months
-- (p_month: that month only) from all their chunks, as after tracks are deleted or the
-- targets rebuilt. One refresher at a time (an advisory lock): concurrent uploads only
-- queue, so they never fight over the same rows.
CREATE OR REPLACE FUNCTION refresh_patrol_coverage(
    p_county bpchar DEFAULT NULL, p_month date DEFAULT NULL, p_full boolean DEFAULT false,
    p_radius_m float8 DEFAULT NULL)
RETURNS TABLE (tracks integer, chunks integer, targets integer)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    n_tracks integer;
    n_chunks integer;
    n_targets integer;
BEGIN
    IF p_full AND p_county IS NULL THEN
        RAISE EXCEPTION 'a full recount names its county' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('refresh_patrol_coverage', 14));

    DROP TABLE IF EXISTS pg_temp.patrol_refresh_tracks;
    CREATE TEMP TABLE patrol_refresh_tracks ON COMMIT DROP AS
    SELECT q.track_id FROM patrol_coverage_queue AS q
    WHERE p_county IS NULL OR q.county_code = p_county;
    GET DIAGNOSTICS n_tracks = ROW_COUNT;

    -- tracks stored before migration 0017 have no chunks yet
    PERFORM chunk_patrol_tracks(ARRAY(
        SELECT r.track_id FROM patrol_refresh_tracks AS r
        WHERE NOT EXISTS (SELECT 1 FROM patrol_track_chunks AS c WHERE c.track_id = r.track_id)));

    DROP TABLE IF EXISTS pg_temp.patrol_refresh_chunks;
    IF p_full THEN
        DELETE FROM patrolled_targets AS p
        WHERE p.county_code = p_county AND (p_month IS NULL OR p.month = p_month);
        CREATE TEMP TABLE patrol_refresh_chunks ON COMMIT DROP AS
        SELECT c.track_id, c.county_code, c.month, c.during, c.geom_4545,
               coalesce(p_radius_m, s.radius_m, 30) AS radius_m
        FROM patrol_track_chunks AS c
        LEFT JOIN patrol_standards AS s ON s.county_code = c.county_code AND s.grid_kind = 'base'
        WHERE (c.county_code = p_county AND (p_month IS NULL OR c.month = p_month))
           OR c.track_id IN (SELECT r.track_id FROM patrol_refresh_tracks AS r);
    ELSE
        CREATE TEMP TABLE patrol_refresh_chunks ON COMMIT DROP AS
        SELECT c.track_id, c.county_code, c.month, c.during, c.geom_4545,
               coalesce(p_radius_m, s.radius_m, 30) AS radius_m
        FROM patrol_track_chunks AS c
        LEFT JOIN patrol_standards AS s ON s.county_code = c.county_code AND s.grid_kind = 'base'
        JOIN patrol_refresh_tracks AS r ON r.track_id = c.track_id;
    END IF;
    GET DIAGNOSTICS n_chunks = ROW_COUNT;
    ANALYZE patrol_refresh_chunks;

    -- first and last are the passing chunk's times: to within the few minutes it spans
    INSERT INTO patrolled_targets AS p (month, target_id, county_code, grid_code, kind, first_at,
                                        last_at, passes)
    SELECT c.month, t.target_id, t.county_code, t.grid_code, t.kind, min(lower(c.during)),
           max(upper(c.during)), count(DISTINCT c.track_id)
    FROM patrol_refresh_chunks AS c
    -- no county condition: it would turn the probe into a hash join over every target; a
    -- patrol on the county's edge passes the neighbour's buildings too
    JOIN patrol_targets AS t ON ST_DWithin(t.probe_4545, c.geom_4545, c.radius_m)
    GROUP BY c.month, t.target_id, t.county_code
    ON CONFLICT (target_id, month, county_code) DO UPDATE
    SET first_at = least(p.first_at, EXCLUDED.first_at),
        last_at = greatest(p.last_at, EXCLUDED.last_at),
        passes = p.passes + EXCLUDED.passes;
    GET DIAGNOSTICS n_targets = ROW_COUNT;

    DELETE FROM patrol_coverage_queue AS q USING patrol_refresh_tracks AS r
    WHERE q.track_id = r.track_id;
    RETURN QUERY SELECT n_tracks, n_chunks, n_targets;
END
$$;
