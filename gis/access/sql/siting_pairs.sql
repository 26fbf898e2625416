-- Which uncovered building each candidate's would-be area (access_areas, drawn from
-- access_sources with source_id = candidate i) reaches: the covering pairs (i, j).
SELECT a.source_id::int AS i, d.j
FROM access_areas AS a
JOIN siting_demand AS d ON ST_Intersects(a.geom, d.point)
ORDER BY 1, 2;
