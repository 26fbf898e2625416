-- One place named by its code as a GeoJSON Feature, built by PostGIS, with its ancestors
-- from the county down. The second column is the building's unit count when the code
-- names a unit (NULL otherwise), so the caller can tell "no such unit" from "no building".
SELECT
    json_build_object(
        'type', 'Feature',
        'id', %(code)s::text,
        'bbox', json_build_array(
            round(ST_XMin(place.geom)::numeric, %(decimals)s),
            round(ST_YMin(place.geom)::numeric, %(decimals)s),
            round(ST_XMax(place.geom)::numeric, %(decimals)s),
            round(ST_YMax(place.geom)::numeric, %(decimals)s)),
        'geometry', ST_AsGeoJSON(place.geom, %(decimals)s)::json,
        'properties', {properties}
    ),
    {unit_count}
FROM {table} AS place
{joins}
WHERE place.{code_column} = %(key)s::bpchar
