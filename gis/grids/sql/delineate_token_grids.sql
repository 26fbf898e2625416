-- For each old base grid, the new grid that takes the largest part of its ground: a grid
-- member's token bound to an old grid follows its ground to that grid.
SELECT DISTINCT ON (old.grid_code) old.grid_code::text AS old_code, new.grid_code AS new_code
FROM grids AS old
JOIN unnest(%(new_codes)s::text[], %(new_geoms)s::bytea[]) AS new (grid_code, ewkb)
    ON ST_Intersects(old.geom, ST_GeomFromEWKB(new.ewkb))
WHERE old.grid_code = ANY(%(old_codes)s)
ORDER BY old.grid_code, ST_Area(ST_Intersection(old.geom, ST_GeomFromEWKB(new.ewkb))) DESC,
         new.grid_code
