-- Grids whose stored outline is invalid (self-intersection, ring crossing, ...) or empty:
-- GEOS's reason and where it is. The other checks used the repaired outline; area_m2 is
-- the repaired outline's area.
SELECT coalesce(json_agg(json_build_object(
           'grid_code', rtrim(a.grid_code),
           'community_code', rtrim(a.community_code),
           'reason', CASE WHEN ST_IsEmpty(g.geom) THEN 'empty geometry'
                          ELSE ST_IsValidReason(g.geom) END,
           'area_m2', round(ST_Area(a.geom::geography)::numeric, 2),
           'geometry', ST_AsGeoJSON(
               coalesce((ST_IsValidDetail(g.geom)).location, ST_PointOnSurface(a.geom)),
               %(decimals)s)::json)
       ORDER BY a.grid_code), '[]'::json)
FROM audit_grids AS a
JOIN grids AS g USING (grid_code)
WHERE a.in_scope AND (NOT a.valid OR ST_IsEmpty(g.geom))
