-- Records whose parent is unknown, or that do not lie within their parent. Tolerance:
-- covered by the parent grown by %(tolerance_m)s m, or (areas) at most %(tolerance_m2)s m²
-- outside it, measured in EPSG:4545 (metres around Nanning). Each parent is projected
-- and buffered once.
WITH wanted AS MATERIALIZED (
    SELECT DISTINCT parent_code
    FROM import_staging
    WHERE parent_table = %(parent_table)s AND parent_code IS NOT NULL
      AND geometry_problem IS NULL AND geom IS NOT NULL
), parent AS MATERIALIZED (
    SELECT w.parent_code,
           ST_Transform(p.geom, 4545) AS geom_m,
           ST_Buffer(ST_Transform(p.geom, 4545), %(tolerance_m)s) AS zone_m
    FROM wanted w
    JOIN {parent_table} p ON p.{parent_key}::text = w.parent_code
), checked AS (
    SELECT s.ord, s.parent_code, p.parent_code IS NULL AS unknown,
           ST_Transform(s.geom, 4545) AS geom_m, p.geom_m AS parent_m, p.zone_m
    FROM import_staging s
    LEFT JOIN parent p USING (parent_code)
    WHERE s.parent_table = %(parent_table)s AND s.parent_code IS NOT NULL
      AND s.geometry_problem IS NULL AND s.geom IS NOT NULL
)
SELECT ord, parent_code, unknown,
       CASE WHEN NOT unknown AND ST_Dimension(geom_m) = 2
            THEN ST_Area(ST_Difference(geom_m, parent_m)) END AS outside_m2,
       CASE WHEN NOT unknown THEN ST_Distance(geom_m, parent_m) END AS distance_m
FROM checked
WHERE unknown OR NOT ST_CoveredBy(geom_m, zone_m)
ORDER BY ord
