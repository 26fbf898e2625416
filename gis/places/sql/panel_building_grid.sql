-- The grid holding a building: the lowest grid code whose outline holds its point on
-- surface (buildings.point), as grid_statistics places it.
SELECT rtrim(g.grid_code)
FROM buildings AS b
JOIN grids AS g ON ST_Intersects(g.geom, b.point)
WHERE b.building_code = %(code)s::bpchar
ORDER BY g.grid_code
LIMIT 1
