-- The demo's streets and footways as staged walking edges (access_staging.sql). The
-- streets are the edges of its street lattice and meet only at their end points, where
-- the staging keys make them share a node. A block's footways start at a gate in the
-- middle of a street (gis/demo/writer.py): the street is cut there, and each cut piece
-- ends exactly on the footway's own end point, so street and footway get one node key
-- (tests/gis/test_walking_network.py checks that edges meet only at nodes).
WITH gates AS (
    SELECT DISTINCT ST_StartPoint(geom) AS point
    FROM streets WHERE street_class = 'footway'
),
cuts AS (
    SELECT s.street_id, g.point, ST_LineLocatePoint(s.geom, g.point) AS at
    FROM streets AS s
    -- planar degrees: 1e-9° is a tenth of a millimetre
    JOIN gates AS g ON ST_DWithin(s.geom, g.point, 1e-9)
    WHERE s.street_class <> 'footway'
),
cut_streets AS (
    SELECT s.street_id, s.county_code, s.street_class, s.name, s.geom,
           array_agg(c.at ORDER BY c.at) AS at, array_agg(c.point ORDER BY c.at) AS points
    FROM streets AS s
    JOIN cuts AS c USING (street_id)
    WHERE c.at > 0 AND c.at < 1
    GROUP BY s.street_id, s.county_code
)
INSERT INTO walk_staging (county_code, highway, name, geom)
SELECT county_code, street_class, name, geom
FROM streets AS s
WHERE NOT EXISTS (SELECT 1 FROM cut_streets AS c WHERE c.street_id = s.street_id)
UNION ALL
-- piece i runs from cut i - 1 (or the start) to cut i (or the end), its ends set to the
-- very points, so that rounding in ST_LineSubstring cannot move a node key
SELECT c.county_code, c.street_class, c.name,
       ST_SetPoint(
           ST_SetPoint(ST_LineSubstring(c.geom, piece.from_at, piece.to_at), 0, piece.from_point),
           ST_NPoints(ST_LineSubstring(c.geom, piece.from_at, piece.to_at)) - 1, piece.to_point)
FROM cut_streets AS c
CROSS JOIN LATERAL (
    SELECT coalesce(c.at[i - 1], 0) AS from_at, coalesce(c.at[i], 1) AS to_at,
           coalesce(c.points[i - 1], ST_StartPoint(c.geom)) AS from_point,
           coalesce(c.points[i], ST_EndPoint(c.geom)) AS to_point
    FROM generate_series(1, cardinality(c.at) + 1) AS i
) AS piece;
