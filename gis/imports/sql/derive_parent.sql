-- A record without a parent code takes the unit of {parent_table} that contains a point
-- on its surface (ST_PointOnSurface lies inside even a concave or holed footprint).
UPDATE import_staging s
SET parent_code = (
        SELECT p.{parent_key}::text
        FROM {parent_table} p
        WHERE ST_Intersects(p.geom, ST_PointOnSurface(s.geom))
        ORDER BY p.{parent_key}
        LIMIT 1)
WHERE s.parent_table = %(parent_table)s AND s.parent_code IS NULL
  AND s.geometry_problem IS NULL AND s.geom IS NOT NULL
RETURNING s.ord, s.parent_code
