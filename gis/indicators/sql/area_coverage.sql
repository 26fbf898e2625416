-- Per area of a level, the households of its buildings and those a service centre's
-- walking area of %(minutes)s minutes reaches (any centre level). A building is placed by
-- the rule of grid_statistics: the grid whose outline holds its point on surface
-- (buildings.point), the lowest grid code on a shared edge; buildings in no grid count in
-- no area. A building is covered when its point lies in at least one area.
WITH areas AS ({areas}),
placed AS (
    SELECT DISTINCT ON (b.building_code) b.building_code, b.households, g.grid_code
    FROM buildings AS b
    JOIN grids AS g ON ST_Intersects(g.geom, b.point)
    ORDER BY b.building_code, g.grid_code
),
covered AS (
    SELECT DISTINCT b.building_code
    FROM service_areas AS sa
    JOIN buildings AS b ON ST_Intersects(sa.geom, b.point)
    WHERE sa.minutes = %(minutes)s
)
SELECT a.code, a.name,
       coalesce(sum(p.households), 0) AS households,
       coalesce(sum(p.households) FILTER (WHERE c.building_code IS NOT NULL), 0)
           AS covered_households
FROM areas AS a
LEFT JOIN placed AS p ON left(p.grid_code, {length}) = a.code
LEFT JOIN covered AS c USING (building_code)
GROUP BY a.code, a.name
