-- Buildings in scope (%(scope)s: a code prefix, '' for all) with households that no
-- service area of the given minutes reaches, most households first, as a GeoJSON
-- FeatureCollection; each with the nearest centre as the crow flies, for a planner
-- deciding whether a path or a new centre would help.
WITH uncovered AS (
    SELECT b.building_code, b.name, b.community_code, b.building_use, b.households,
           b.population, b.geom, b.point
    FROM buildings AS b
    WHERE b.community_code LIKE %(scope)s || '%%'
      AND b.households > 0
      -- the map's view: buildings whose point lies in it (buildings_point_idx)
      AND (%(bbox)s::float8[] IS NULL
           OR b.point && ST_MakeEnvelope((%(bbox)s::float8[])[1], (%(bbox)s::float8[])[2],
                                         (%(bbox)s::float8[])[3], (%(bbox)s::float8[])[4], 4326))
      AND NOT EXISTS (
          SELECT 1 FROM service_areas AS a
          JOIN service_centers AS c USING (center_id)
          WHERE a.minutes = %(minutes)s
            AND (%(levels)s::text[] IS NULL OR c.level = ANY (%(levels)s::text[]))
            AND ST_Intersects(a.geom, b.point))
),
listed AS (
    SELECT * FROM uncovered
    ORDER BY households DESC, building_code
    LIMIT %(limit)s
)
SELECT (SELECT count(*) FROM uncovered) AS matched,
       (SELECT coalesce(sum(households), 0) FROM uncovered) AS households,
       (SELECT coalesce(sum(population), 0) FROM uncovered) AS population,
       json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', u.building_code,
        'geometry', ST_AsGeoJSON(u.geom, 6)::json,
        'properties', json_build_object(
            'building_code', u.building_code,
            'name', u.name,
            'community_code', u.community_code,
            'building_use', u.building_use,
            'households', u.households,
            'population', u.population,
            'nearest_center_id', nearest.center_id,
            'nearest_center_m', round(nearest.distance_m::numeric, 1)))
        ORDER BY u.households DESC, u.building_code), '[]'::json))
FROM listed AS u
LEFT JOIN LATERAL (
    SELECT c.center_id, ST_Distance(c.geom::geography, u.point::geography) AS distance_m
    FROM service_centers AS c
    WHERE (%(levels)s::text[] IS NULL OR c.level = ANY (%(levels)s::text[]))
    ORDER BY c.geom <-> u.point
    LIMIT 1
) AS nearest ON true;
