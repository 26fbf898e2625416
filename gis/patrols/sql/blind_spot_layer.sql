-- The blind spots of a period and scope (sql/functions/patrol_blind_spots.sql) as a
-- GeoJSON FeatureCollection: each event at its public 50 m cell, in the order of the list
-- (by grid, then time), distances to the metre.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', b.event_id,
        'geometry', ST_AsGeoJSON(b.geom, 6)::json,
        'properties', json_build_object(
            'event_id', b.event_id,
            'tracking_number', b.tracking_number,
            'category_code', b.category_code,
            'category_name', c.name,
            'reported_at', b.reported_at,
            'grid_code', b.grid_code,
            'grid_name', g.name,
            'radius_m', b.radius_m,
            'nearest_patrol_m', round(b.nearest_m::numeric),
            'nearest_patrol_at', b.nearest_at))
        ORDER BY b.grid_code NULLS LAST, b.reported_at, b.event_id), '[]'::json))
FROM patrol_blind_spots(%(start)s, %(end)s, %(scope)s, %(days)s, %(radius_m)s, %(nearest_m)s,
                        %(nearest_days)s) AS b
JOIN event_categories AS c ON c.category_code = b.category_code
LEFT JOIN grids AS g ON g.grid_code = b.grid_code;
