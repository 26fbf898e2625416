-- A place's bounds in longitude and latitude (the PMTiles header's), none if no such place.
SELECT ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)
FROM (SELECT ST_Extent(geom) AS box FROM {table} WHERE {code_column} = %(code)s) AS place
WHERE box IS NOT NULL
