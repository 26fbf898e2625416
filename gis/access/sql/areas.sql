-- The service areas of the sources (access_pieces.sql, access_band_step.sql): each
-- band back in EPSG:4326 with what was reached. Sources whose county has no walking
-- network get a straight-line circle of the distance instead, flagged. Leaves
-- access_areas (source_id, minutes, distance_m, method, snap_edge_id, snap_m,
-- reached_edges, reached_m, geom); temporary, gone at commit.
CREATE TEMP TABLE access_areas ON COMMIT DROP AS
SELECT s.source_id, b.minutes, d.distance_m, 'network'::text AS method,
       s.edge_id AS snap_edge_id, s.snap_m, coalesce(walked.edges, 0)::int AS reached_edges,
       coalesce(walked.metres, 0) AS reached_m,
       ST_Multi(ST_Transform(b.geom, 4326)) AS geom
FROM access_bands AS b
JOIN access_snaps AS s USING (k)
JOIN access_distances AS d USING (minutes)
LEFT JOIN (
    SELECT k, minutes, count(DISTINCT edge_id) AS edges, sum(walked_m) AS metres
    FROM access_pieces GROUP BY k, minutes
) AS walked USING (k, minutes);

-- No network in the county: a circle as the crow flies, which overstates what a walk
-- reaches; method says so wherever the area is shown.
INSERT INTO access_areas (source_id, minutes, distance_m, method, snap_edge_id, snap_m,
                          reached_edges, reached_m, geom)
SELECT s.source_id, d.minutes, d.distance_m, 'straight_line', NULL, NULL, 0, 0,
       ST_Multi(ST_Buffer(s.geom::geography, d.distance_m, 'quad_segs=16')::geometry)
FROM access_sources AS s
CROSS JOIN access_distances AS d
WHERE NOT EXISTS (SELECT 1 FROM walk_edges AS e WHERE e.county_code = s.county_code);
