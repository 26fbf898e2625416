-- A record given without a code or id is the stored {table} row of its community with
-- the same footprint (intersection at least 90 percent of the union) or, when %(by_name)s, with the
-- same name and at least half the footprint in common; the best overlap wins. So
-- importing the same file again updates rows instead of adding copies.
UPDATE import_staging s
SET key = m.key, matched = true
FROM (
    SELECT DISTINCT ON (s.ord) s.ord, rtrim(t.{key}::text) AS key
    FROM import_staging s
    JOIN {table} t
      ON t.community_code = s.parent_code::bpchar AND ST_Intersects(t.geom, s.geom)
    CROSS JOIN LATERAL (
        SELECT ST_Area(ST_Intersection(t.geom, s.geom))
               / NULLIF(ST_Area(ST_Union(t.geom, s.geom)), 0) AS overlap
    ) o
    WHERE s.key IS NULL AND s.parent_code IS NOT NULL
      AND s.geometry_problem IS NULL AND s.geom IS NOT NULL
      AND (o.overlap >= 0.9 OR (%(by_name)s AND t.name = s.name AND o.overlap >= 0.5))
    ORDER BY s.ord, o.overlap DESC
) m
WHERE s.ord = m.ord
