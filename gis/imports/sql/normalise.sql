-- The storage shapes: 2D MultiPolygon for areas, 2D Point for service centres.
UPDATE import_staging
SET geom = CASE
        WHEN %(point)s THEN ST_Force2D(ST_GeometryN(ST_Multi(geom), 1))
        ELSE ST_Multi(ST_Force2D(geom))
    END
WHERE geometry_problem IS NULL AND geom IS NOT NULL
