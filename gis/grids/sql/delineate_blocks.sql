-- The street blocks of a community's base area (the community less its dedicated grids,
-- which keep their own ground): the faces that the community's streets cut out of it.
-- Streets are clipped to the base area and noded together with its boundary, so the faces
-- tile the base area exactly; faces that polygonize finds inside a hole of the base area
-- (a dedicated grid enclosed by base grids) are dropped by the point-on-surface test.
-- Where no street crosses the base area the whole area is one block, split later by its
-- buildings (delineate_split_blocks.sql).
CREATE TEMP TABLE delineation_blocks ON COMMIT DROP AS
WITH community AS (
    SELECT geom FROM communities WHERE community_code = %(community_code)s
),
dedicated AS (
    SELECT ST_Union(geom) AS geom
    FROM grids
    WHERE community_code = %(community_code)s AND grid_type = 'dedicated'
),
base AS (
    SELECT CASE WHEN d.geom IS NULL THEN c.geom ELSE ST_Difference(c.geom, d.geom) END AS geom
    FROM community AS c CROSS JOIN dedicated AS d
),
linework AS (
    SELECT ST_CollectionExtract(ST_Intersection(s.geom, b.geom), 2) AS geom
    FROM streets AS s
    JOIN base AS b ON s.geom && b.geom AND ST_Intersects(s.geom, b.geom)
    UNION ALL
    SELECT ST_Boundary(geom) FROM base
),
noded AS (
    SELECT ST_UnaryUnion(ST_Collect(geom)) AS geom FROM linework WHERE NOT ST_IsEmpty(geom)
),
faces AS (
    SELECT (ST_Dump(ST_Polygonize(geom))).geom AS geom FROM noded
)
SELECT
    (row_number() OVER (
        ORDER BY ST_X(ST_PointOnSurface(f.geom)), ST_Y(ST_PointOnSurface(f.geom))
    ))::int AS block_id,
    f.geom
FROM faces AS f
CROSS JOIN base AS b
WHERE ST_Intersects(b.geom, ST_PointOnSurface(f.geom))
