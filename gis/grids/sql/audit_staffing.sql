-- Grids without a grid leader (网格长) or without grid members (网格员).
SELECT coalesce(json_agg(json_build_object(
           'grid_code', rtrim(grid_code),
           'community_code', rtrim(community_code),
           'leaders', leaders,
           'members', members,
           'problems', array_remove(ARRAY[
               CASE WHEN leaders = 0 THEN 'no_leader' END,
               CASE WHEN members = 0 THEN 'no_members' END], NULL),
           'area_m2', round(ST_Area(geom::geography)::numeric, 2),
           'geometry', ST_AsGeoJSON(ST_PointOnSurface(geom), %(decimals)s)::json)
       ORDER BY grid_code), '[]'::json)
FROM audit_grids
WHERE in_scope AND (leaders = 0 OR members = 0)
