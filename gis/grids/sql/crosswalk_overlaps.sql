-- Every unified grid and every community a legacy grid overlaps, with the overlapping
-- area in m² (geodesic, on the WGS84 spheroid). Only grids and communities whose boxes
-- meet the legacy grid's box are intersected; the GiST indexes find them.
SELECT 'grid' AS kind, l.legacy_id, g.grid_code::text AS code, g.community_code::text,
       g.name, ST_Area(g.geom::geography) AS area_m2,
       ST_Area(ST_Intersection(l.geom, g.geom)::geography) AS overlap_m2
FROM crosswalk_legacy AS l
JOIN grids AS g ON g.geom && l.geom AND ST_Intersects(g.geom, l.geom)
UNION ALL
SELECT 'community', l.legacy_id, c.community_code::text, c.community_code::text,
       c.name, ST_Area(c.geom::geography),
       ST_Area(ST_Intersection(l.geom, c.geom)::geography)
FROM crosswalk_legacy AS l
JOIN communities AS c ON c.geom && l.geom AND ST_Intersects(c.geom, l.geom)
ORDER BY 1, 2, 3
