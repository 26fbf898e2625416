-- Overlaps: pairs of grids (a < b, at least one in scope) whose interiors share more than
-- the area tolerance. The && prefilter (index) and the interior-intersection test keep
-- ST_Intersection to pairs that truly overlap, not every pair of neighbours that touch.
WITH pairs AS (
    SELECT a.grid_code AS grid_a, b.grid_code AS grid_b,
           ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS geom
    FROM audit_grids AS a
    JOIN audit_grids AS b
      ON a.grid_code < b.grid_code AND a.geom && b.geom
     AND ST_Relate(a.geom, b.geom, '2********')
    WHERE a.in_scope OR b.in_scope
),
measured AS (
    SELECT grid_a, grid_b, geom, ST_Area(geom::geography) AS area_m2 FROM pairs
)
SELECT coalesce(json_agg(json_build_object(
           'grid_codes', json_build_array(rtrim(grid_a), rtrim(grid_b)),
           'area_m2', round(area_m2::numeric, 2),
           'geometry', ST_AsGeoJSON(geom, %(decimals)s)::json)
       ORDER BY grid_a, grid_b), '[]'::json)
FROM measured
WHERE area_m2 > %(tolerance_m2)s
