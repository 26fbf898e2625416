-- One feature as GeoJSON, serialized by PostGIS, with the caller's links riding along as
-- JSON; and the collection's version read in the same snapshot (the feature's ETag). The
-- feature is NULL when there is no such feature.
WITH version AS ({version})
SELECT version.tag,
       (SELECT json_build_object(
                   'type', 'Feature',
                   'id', {feature_id},
                   'geometry', {geometry},
                   'properties', {properties},
                   'links', %(links)s::json
               )::text
        FROM {table}
        WHERE {id_column} = {id_value})
FROM version
