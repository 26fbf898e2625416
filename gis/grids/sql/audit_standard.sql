-- Base grids outside the standard: 300–500 resident households, unless the population
-- is about 1,000 (the bounds are parameters). Figures come from grid_statistics, which
-- the triggers in functions/ keep current. Dedicated grids have no such standard.
SELECT coalesce(json_agg(json_build_object(
           'grid_code', rtrim(g.grid_code),
           'community_code', rtrim(g.community_code),
           'households', s.households,
           'population', s.population,
           'problem', CASE WHEN s.households < %(households_min)s
                           THEN 'too_few_households' ELSE 'too_many_households' END,
           'area_m2', round(ST_Area(g.geom::geography)::numeric, 2),
           'geometry', ST_AsGeoJSON(ST_PointOnSurface(g.geom), %(decimals)s)::json)
       ORDER BY g.grid_code), '[]'::json)
FROM audit_grids AS g
JOIN grid_statistics AS s USING (grid_code)
WHERE g.in_scope AND g.grid_type = 'base'
  AND s.households NOT BETWEEN %(households_min)s AND %(households_max)s
  AND s.population NOT BETWEEN %(population_min)s AND %(population_max)s
