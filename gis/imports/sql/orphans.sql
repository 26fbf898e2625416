-- Stored {child_table} of the places being re-imported that would no longer lie within
-- their parent's new outline (same 0.5 m tolerance as the nesting check): a warning, as
-- redrawing a parent first and its children next is a normal order of work.
WITH zone AS MATERIALIZED (
    SELECT key, ST_Buffer(ST_Transform(geom, 4545), %(tolerance_m)s) AS zone_m
    FROM import_staging
    WHERE key IS NOT NULL AND geometry_problem IS NULL AND geom IS NOT NULL
)
SELECT z.key, count(*) AS outside,
       (array_agg(rtrim(c.{child_key}::text) ORDER BY c.{child_key}))[1:5] AS examples
FROM zone z
JOIN {child_table} c ON c.{parent_column} = z.key::bpchar
WHERE NOT ST_CoveredBy(ST_Transform(c.geom, 4545), z.zone_m)
GROUP BY z.key
ORDER BY z.key
