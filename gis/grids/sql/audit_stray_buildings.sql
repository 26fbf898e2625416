-- Buildings in no grid: their point on surface lies in no grid, so no grid's statistics
-- count them (the placement rule: functions/refresh_grid_statistics.sql).
SELECT coalesce(json_agg(json_build_object(
           'building_code', rtrim(b.building_code),
           'community_code', rtrim(b.community_code),
           'area_m2', round(ST_Area(b.geom::geography)::numeric, 2),
           'geometry', ST_AsGeoJSON(b.geom, %(decimals)s)::json)
       ORDER BY b.building_code), '[]'::json)
FROM audit_loose_buildings AS b
WHERE NOT EXISTS (
    SELECT FROM grids AS g WHERE ST_Intersects(g.geom, ST_PointOnSurface(b.geom)))
