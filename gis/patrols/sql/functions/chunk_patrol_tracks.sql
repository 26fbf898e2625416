-- Cut tracks into chunks of at most 16 fixes (patrol_track_chunks): consecutive chunks
-- share their end fix, so nothing between two fixes is lost, and a long ride never
-- offers the spatial index one box the size of the district. Each chunk keeps its fixes'
-- times (M) and the span they cover; its month is the China-time calendar month of its
-- first fix. Run for every stored track (the trigger below), so coverage and blind spots
-- find the chunks ready; again for a track whose chunks are missing (tracks stored before
-- migration 0017), by refresh_patrol_coverage. Returns the chunks made.
CREATE OR REPLACE FUNCTION chunk_patrol_tracks(p_track_ids bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    made integer;
BEGIN
    DELETE FROM patrol_track_chunks AS c WHERE c.track_id = ANY (p_track_ids);
    INSERT INTO patrol_track_chunks (track_id, chunk, county_code, month, during, track, geom_4545)
    SELECT l.track_id, l.chunk, l.county_code, l.month, l.during, l.line,
           ST_Transform(ST_Force2D(l.line), 4545)
    FROM (
        SELECT f.track_id, k.chunk, f.county_code,
               (date_trunc('month', to_timestamp(min(f.m)) AT TIME ZONE 'Asia/Shanghai'))::date
                   AS month,
               tstzrange(to_timestamp(min(f.m)), to_timestamp(max(f.m)), '[]') AS during,
               ST_MakeLine(f.fix ORDER BY f.i) AS line
        FROM (SELECT t.track_id, t.county_code, d.path[1] AS i, d.geom AS fix, ST_M(d.geom) AS m
              FROM patrol_tracks AS t
              CROSS JOIN LATERAL ST_DumpPoints(t.track) AS d
              WHERE t.track_id = ANY (p_track_ids)) AS f
        -- fix i opens chunk (i - 1) / 15 and, every 15th, closes the chunk before
        CROSS JOIN LATERAL (VALUES ((f.i - 1) / 15),
                                   (CASE WHEN (f.i - 1) % 15 = 0 AND f.i > 1
                                         THEN (f.i - 1) / 15 - 1 END)) AS k (chunk)
        WHERE k.chunk IS NOT NULL
        GROUP BY f.track_id, k.chunk, f.county_code
        HAVING count(*) >= 2) AS l;
    GET DIAGNOSTICS made = ROW_COUNT;
    RETURN made;
END
$$;
