-- The stretches of the given tracks: each run of consecutive fixes in one grid, from the
-- instant the track entered the grid to the instant it left (docs/patrols.md, "Visits
-- and the standard").
--
-- Each fix (ST_DumpPoints of the LineStringM, M = epoch seconds) is placed in the grid of
-- its county that holds it, the lowest grid code when it lies on a shared edge (the rule
-- events are placed by, gis/places/sql/events.sql). Consecutive fixes in one grid make a
-- run (gaps and islands). A run that does not start the track entered on the segment
-- from the fix before it: the point where that segment enters the grid, located along
-- the segment (ST_LineLocatePoint), gives the share of the segment's time. The same on
-- the segment after the run's last fix gives the exit. Only boundary segments pay for the
-- intersection, and it is 2-D: GEOS 3.11 drops M in ST_Intersection, and
-- ST_InterpolatePoint would take the closest point of the whole track, wrong where a
-- patrol walks back along its own street. A segment that cuts through a grid between two
-- fixes outside it makes no stretch: nobody was seen inside.
--
-- Where a crossing segment goes in and out of the grid more than once (a concave grid),
-- the entry is its last crossing of the grid's boundary, the exit its first.
CREATE OR REPLACE FUNCTION patrol_stretches_of(track_ids bigint[])
RETURNS TABLE (county_code char(6), track_id bigint, team_id bigint, grid_code char(15),
               entered_at timestamptz, left_at timestamptz, inside_s float8, month date)
LANGUAGE sql STABLE AS $$
WITH tracks AS (
    SELECT t.track_id, t.county_code, t.team_id, t.track, t.geom
    FROM patrol_tracks AS t WHERE t.track_id = ANY (track_ids)
),
fixes AS (
    SELECT t.track_id, t.county_code, t.team_id, d.path[1] AS seq,
           ST_Force2D(d.geom) AS point, ST_M(d.geom) AS m
    FROM tracks AS t, ST_DumpPoints(t.track) AS d
),
-- the few grids each track touches (one GiST probe a track), so that each fix is tested
-- against those only
touched AS (
    SELECT t.track_id, g.grid_code, g.geom
    FROM tracks AS t
    JOIN grids AS g ON g.county_code = t.county_code AND ST_Intersects(g.geom, t.geom)
),
inside AS (
    SELECT DISTINCT ON (f.track_id, f.seq) f.track_id, f.seq, c.grid_code
    FROM fixes AS f
    JOIN touched AS c
      ON c.track_id = f.track_id AND c.geom && f.point AND ST_Intersects(c.geom, f.point)
    ORDER BY f.track_id, f.seq, c.grid_code
),
placed AS (
    SELECT f.*, i.grid_code,
           i.grid_code IS DISTINCT FROM lag(i.grid_code) OVER w AS starts_run,
           lag(f.point) OVER w AS point_before, lag(f.m) OVER w AS m_before,
           lead(f.point) OVER w AS point_after, lead(f.m) OVER w AS m_after
    FROM fixes AS f
    LEFT JOIN inside AS i USING (track_id, seq)
    WINDOW w AS (PARTITION BY f.track_id ORDER BY f.seq)
),
numbered AS (
    SELECT p.*, sum(p.starts_run::integer) OVER (PARTITION BY p.track_id ORDER BY p.seq) AS run
    FROM placed AS p
),
runs AS (
    SELECT DISTINCT ON (n.track_id, n.run)
           n.track_id, n.county_code, n.team_id, n.grid_code,
           first_value(n.point) OVER r AS first_point, first_value(n.m) OVER r AS first_m,
           first_value(n.point_before) OVER r AS point_before,
           first_value(n.m_before) OVER r AS m_before,
           last_value(n.point) OVER r AS last_point, last_value(n.m) OVER r AS last_m,
           last_value(n.point_after) OVER r AS point_after,
           last_value(n.m_after) OVER r AS m_after
    FROM numbered AS n
    WHERE n.grid_code IS NOT NULL
    WINDOW r AS (PARTITION BY n.track_id, n.run ORDER BY n.seq
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ORDER BY n.track_id, n.run
),
timed AS (
    SELECT r.county_code, r.track_id, r.team_id, r.grid_code,
           CASE WHEN r.point_before IS NULL THEN r.first_m
                ELSE r.m_before + (r.first_m - r.m_before) * coalesce(entry.share, 1.0)
           END AS entered_m,
           CASE WHEN r.point_after IS NULL THEN r.last_m
                ELSE r.last_m + (r.m_after - r.last_m) * coalesce(exit.share, 0.0)
           END AS left_m
    FROM runs AS r
    JOIN grids AS g USING (grid_code)
    LEFT JOIN LATERAL (
        SELECT max(ST_LineLocatePoint(s.segment, crossing.geom)) AS share
        FROM (SELECT ST_MakeLine(r.point_before, r.first_point) AS segment) AS s,
             ST_DumpPoints(ST_Intersection(s.segment, ST_Boundary(g.geom))) AS crossing
    ) AS entry ON r.point_before IS NOT NULL
    LEFT JOIN LATERAL (
        SELECT min(ST_LineLocatePoint(s.segment, crossing.geom)) AS share
        FROM (SELECT ST_MakeLine(r.last_point, r.point_after) AS segment) AS s,
             ST_DumpPoints(ST_Intersection(s.segment, ST_Boundary(g.geom))) AS crossing
    ) AS exit ON r.point_after IS NOT NULL
)
SELECT t.county_code, t.track_id, t.team_id, t.grid_code, to_timestamp(t.entered_m),
       to_timestamp(t.left_m), t.left_m - t.entered_m,
       date_trunc('month', to_timestamp(t.entered_m) AT TIME ZONE 'Asia/Shanghai')::date
FROM timed AS t
ORDER BY t.track_id, t.entered_m
$$;
