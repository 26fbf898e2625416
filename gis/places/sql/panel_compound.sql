-- A compound (小区) for its panel: name, type, box, its community and that community's
-- ancestors, the households, residents and buildings of its buildings, and the grid that
-- holds its point on surface (the placement rule of grid_statistics: the lowest grid code
-- on a shared edge).
SELECT c.name, c.compound_type, c.built_year, c.has_property_manager,
       json_build_array(
           round(ST_XMin(c.geom)::numeric, %(decimals)s),
           round(ST_YMin(c.geom)::numeric, %(decimals)s),
           round(ST_XMax(c.geom)::numeric, %(decimals)s),
           round(ST_YMax(c.geom)::numeric, %(decimals)s)) AS bbox,
       rtrim(c.community_code) AS community_code,
       (SELECT count(*) FROM buildings AS b WHERE b.compound_id = c.compound_id) AS buildings,
       (SELECT coalesce(sum(b.households), 0) FROM buildings AS b
        WHERE b.compound_id = c.compound_id) AS households,
       (SELECT coalesce(sum(b.population), 0) FROM buildings AS b
        WHERE b.compound_id = c.compound_id) AS residents,
       (SELECT rtrim(g.grid_code) FROM grids AS g
        WHERE ST_Intersects(g.geom, ST_PointOnSurface(c.geom))
        ORDER BY g.grid_code LIMIT 1) AS grid_code
FROM compounds AS c
WHERE c.compound_id = %(compound_id)s
