-- The open event of the same category that a report at point, reported_at most likely
-- repeats: within metres (on the spheroid; events_geog_idx serves ST_DWithin) and
-- reported at most hours before it. Events that are themselves likely duplicates come
-- last, so reports gather on the first one; then the nearest, then the earliest.
CREATE OR REPLACE FUNCTION event_likely_duplicate(county bpchar, category text,
                                                  point geometry, reported_at timestamptz,
                                                  metres float8, hours integer,
                                                  open text[], not_event bigint)
RETURNS TABLE (event_id bigint, tracking_number text, metres float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT earlier.event_id, earlier.tracking_number,
           ST_Distance(earlier.geom::geography, point::geography)
    FROM events AS earlier
    WHERE earlier.event_id IS DISTINCT FROM not_event
      AND earlier.county_code = county
      AND earlier.category_code = category
      AND earlier.status = ANY (open)
      -- the parameter, not the column: a SQL function resolves bare names to columns
      AND earlier.reported_at
          BETWEEN event_likely_duplicate.reported_at - make_interval(hours => hours)
              AND event_likely_duplicate.reported_at
      AND ST_DWithin(earlier.geom::geography, point::geography, metres)
    ORDER BY earlier.duplicate_of IS NOT NULL,
             ST_Distance(earlier.geom::geography, point::geography),
             earlier.reported_at, earlier.event_id
    LIMIT 1
$$;
