-- Does the community's grid set still tile it (横向到边, no gap, no overlap)? The area of
-- the symmetric difference between the community and the union of its grids, and the
-- area counted twice (sum of grid areas less the area of their union), in m².
WITH community AS (
    SELECT geom FROM communities WHERE community_code = %(community_code)s
),
tiles AS (
    SELECT ST_Union(geom) AS geom, sum(ST_Area(geom::geography)) AS summed
    FROM grids
    WHERE community_code = %(community_code)s
)
SELECT
    ST_Area(ST_SymDifference(c.geom, t.geom)::geography) AS mismatch_m2,
    t.summed - ST_Area(t.geom::geography) AS overlap_m2
FROM community AS c CROSS JOIN tiles AS t
