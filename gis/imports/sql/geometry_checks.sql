-- Empty geometries, wrong types and (unless repairing) invalid geometries. The reason
-- is kept on the row so that later checks skip it; the rows are returned to be reported.
UPDATE import_staging
SET geometry_problem = CASE
        WHEN ST_IsEmpty(geom) THEN 'empty geometry'
        WHEN NOT (GeometryType(geom) = ANY(%(types)s::text[])) THEN
            format('a %%s needs %%s, found %%s', %(noun)s::text,
                   array_to_string(%(types)s::text[], ' or '), GeometryType(geom))
        WHEN GeometryType(geom) = 'MULTIPOINT' AND ST_NumGeometries(geom) <> 1 THEN
            format('a %%s is one point, found %%s', %(noun)s::text, ST_NumGeometries(geom))
        WHEN NOT %(repair)s AND NOT ST_IsValid(geom) THEN
            'invalid geometry: ' || ST_IsValidReason(geom)
            || ' (--repair fixes it with ST_MakeValid)'
    END
WHERE geom IS NOT NULL
RETURNING ord, geometry_problem
