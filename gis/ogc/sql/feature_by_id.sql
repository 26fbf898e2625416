-- One feature as GeoJSON, serialized by PostGIS; the caller's links ride along as JSON.
SELECT json_build_object(
    'type', 'Feature',
    'id', {feature_id},
    'geometry', {geometry},
    'properties', {properties},
    'links', %(links)s::json
)::text
FROM {table}
WHERE {id_column} = {id_value}
