-- Blind spots (docs/patrols.md, "Blind spots"): the events reported in [p_start, p_end) in
-- a scope (a county, subdistrict or community code; '' for all) that no patrol passed
-- within R metres of in the p_days days before: no chunk of a track (patrol_track_chunks)
-- walked in [reported_at − p_days, reported_at) came that close. R is p_radius_m, or the
-- radius of the event's county standard for base grids (patrol_standards), or 30.
--
-- Events are read through public_events: categories the public may see, nothing a
-- moderator hid, the public 50 m cell as the point shown and no personal column, so the
-- answer may go on a dashboard. Distances are measured from the point as reported (the
-- cell centre is up to 35 m off, more than R itself); only the cell leaves the database.
--
-- A chunk spans a few minutes and may straddle the window's start or end: within R as a
-- whole, it counts only if the part walked inside the window is (ST_LocateBetween on the
-- track's M, the fixes' epoch seconds: a cut by time, no GEOS).
--
-- With each blind spot, the nearest a patrol came to it (within p_nearest_m) in the
-- p_nearest_days days before, or in the p_days if longer: how far away and when. Rows
-- unordered; the callers order them.
--
-- LANGUAGE sql, STABLE and one SELECT: the planner inlines it into the caller's query, so
-- the parameters reach the plan as values and the chunks' index is used as if the query
-- were written out.
CREATE OR REPLACE FUNCTION patrol_blind_spots(
    p_start timestamptz, p_end timestamptz, p_scope text DEFAULT '', p_days integer DEFAULT 7,
    p_radius_m float8 DEFAULT NULL, p_nearest_m float8 DEFAULT 500,
    p_nearest_days integer DEFAULT 30)
RETURNS TABLE (event_id bigint, tracking_number text, category_code text,
               reported_at timestamptz, county_code text, grid_code text,
               community_code text, radius_m float8, nearest_m float8,
               nearest_at timestamptz, geom geometry)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
-- the blind events first, and only then their nearest patrol: left to itself the planner
-- looks for the nearest patrol of every event of the period
WITH blind AS MATERIALIZED (
    SELECT e.*
    FROM (
        SELECT p.event_id, p.tracking_number, p.category_code, p.reported_at,
               rtrim(p.county_code) AS county_code, rtrim(p.grid_code) AS grid_code,
               rtrim(p.community_code) AS community_code, p.geom AS public_point,
               ST_Transform(x.geom, 4545) AS point_4545,
               coalesce(p_radius_m, s.radius_m, 30) AS radius_m,
               tstzrange(p.reported_at - p_days * interval '24 hours', p.reported_at) AS walked
        FROM public_events AS p
        -- the point as reported, for the distances alone
        JOIN events AS x ON x.event_id = p.event_id
        LEFT JOIN patrol_standards AS s
            ON s.county_code = p.county_code AND s.grid_kind = 'base'
        WHERE p.reported_at >= p_start AND p.reported_at < p_end
          AND p.county_code LIKE left(p_scope, 6) || '%'
          AND (length(p_scope) <= 6 OR p.community_code LIKE p_scope || '%')
    ) AS e
    WHERE NOT EXISTS (
        SELECT 1
        FROM patrol_track_chunks AS c
        WHERE ST_DWithin(c.geom_4545, e.point_4545, e.radius_m)
          AND c.during && e.walked
          AND (c.during <@ e.walked
               OR ST_DWithin(ST_Transform(ST_LocateBetween(c.track,
                                              extract(epoch FROM lower(e.walked)),
                                              extract(epoch FROM upper(e.walked))), 4545),
                             e.point_4545, e.radius_m))
    )
)
SELECT b.event_id, b.tracking_number, b.category_code, b.reported_at, b.county_code,
       b.grid_code, b.community_code, b.radius_m, nearest.distance_m, nearest.passed_at,
       b.public_point
FROM blind AS b
CROSS JOIN LATERAL (
    SELECT tstzrange(b.reported_at - greatest(p_days, p_nearest_days) * interval '24 hours',
                     b.reported_at) AS looked_back
) AS back
LEFT JOIN LATERAL (
    SELECT ST_Distance(w.cut, b.point_4545) AS distance_m,
           -- the instant the patrol passed nearest: the M of the nearest point on the cut
           -- (one piece: a track's times only grow), or of the one fix left of it
           to_timestamp(CASE WHEN ST_Dimension(w.cut) = 1
                             THEN ST_InterpolatePoint(ST_GeometryN(w.cut, 1), b.point_4545)
                             ELSE ST_M(ST_GeometryN(w.cut, 1)) END) AS passed_at
    FROM patrol_track_chunks AS c
    CROSS JOIN LATERAL (
        SELECT ST_Transform(CASE WHEN c.during <@ back.looked_back THEN c.track
                                 ELSE ST_LocateBetween(c.track,
                                          extract(epoch FROM lower(back.looked_back)),
                                          extract(epoch FROM upper(back.looked_back))) END,
                            4545) AS cut
    ) AS w
    WHERE ST_DWithin(c.geom_4545, b.point_4545, p_nearest_m)
      AND c.during && back.looked_back
      AND ST_DWithin(w.cut, b.point_4545, p_nearest_m)
    ORDER BY distance_m, passed_at DESC
    LIMIT 1
) AS nearest ON true
$$;
