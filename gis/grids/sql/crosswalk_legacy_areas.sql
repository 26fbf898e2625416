-- Each legacy grid's area and the part of it outside every unified grid, in m².
SELECT
    l.legacy_id,
    l.ordinal,
    l.repaired,
    ST_Area(l.geom::geography) AS area_m2,
    ST_Area(
        coalesce(ST_Difference(l.geom, covered.geom), l.geom)::geography
    ) AS outside_m2
FROM crosswalk_legacy AS l
CROSS JOIN LATERAL (
    SELECT ST_Union(g.geom) AS geom
    FROM grids AS g
    WHERE g.geom && l.geom AND ST_Intersects(g.geom, l.geom)
) AS covered
ORDER BY l.ordinal
