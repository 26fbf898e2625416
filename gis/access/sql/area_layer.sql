-- The service areas of the given minutes as a GeoJSON FeatureCollection, one feature per
-- centre in scope (centres whose community, subdistrict or county code starts with
-- %(scope)s; '' for all), with the buildings, households and residents each holds;
-- %(bbox)s (min lon, min lat, max lon, max lat, or NULL) keeps the areas reaching into it.
WITH areas AS (
    SELECT a.*, c.name, c.level, c.community_code,
           q.center_id IS NOT NULL AS queued
    FROM service_areas AS a
    JOIN service_centers AS c USING (center_id)
    LEFT JOIN service_area_queue AS q USING (center_id)
    WHERE a.minutes = %(minutes)s
      AND coalesce(c.community_code, c.subdistrict_code, c.county_code) LIKE %(scope)s || '%%'
      AND (%(levels)s::text[] IS NULL OR c.level = ANY (%(levels)s::text[]))
      AND (%(center_id)s::bigint IS NULL OR a.center_id = %(center_id)s::bigint)
      -- the map's view: areas whose box meets it (service_areas_geom_idx)
      AND (%(bbox)s::float8[] IS NULL
           OR a.geom && ST_MakeEnvelope((%(bbox)s::float8[])[1], (%(bbox)s::float8[])[2],
                                        (%(bbox)s::float8[])[3], (%(bbox)s::float8[])[4], 4326))
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', a.center_id,
        'geometry', ST_AsGeoJSON(a.geom, 6)::json,
        'properties', json_build_object(
            'center_id', a.center_id,
            'name', a.name,
            'level', a.level,
            'community_code', a.community_code,
            'minutes', a.minutes,
            'method', a.method,
            'distance_m', round(a.distance_m::numeric, 1),
            'speed_kmh', a.speed_kmh,
            'buffer_m', a.buffer_m,
            'snap_m', round(a.snap_m::numeric, 1),
            'reached_m', round(a.reached_m::numeric, 1),
            'buildings', held.buildings,
            'households', held.households,
            'population', held.population,
            'queued', a.queued,
            'computed_at', a.computed_at))
        ORDER BY a.center_id), '[]'::json))
FROM areas AS a
CROSS JOIN LATERAL (
    SELECT count(*) AS buildings, coalesce(sum(b.households), 0) AS households,
           coalesce(sum(b.population), 0) AS population
    FROM buildings AS b
    WHERE ST_Intersects(a.geom, b.point)
) AS held;
