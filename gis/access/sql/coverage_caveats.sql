-- What a coverage answer rests on. Any centre of the county may serve the buildings in
-- scope, so these count the centres of the scope's county (every county for ''): centres
-- whose areas are queued for recomputing, centres with no area of these minutes, and
-- centres whose areas are straight-line circles because the county had no walking network.
WITH centres AS (
    SELECT c.center_id
    FROM service_centers AS c
    WHERE c.county_code LIKE left(%(scope)s, 6) || '%%'
      AND (%(levels)s::text[] IS NULL OR c.level = ANY (%(levels)s::text[]))
)
SELECT
    (SELECT count(*) FROM service_area_queue JOIN centres USING (center_id)) AS queued,
    (SELECT count(*) FROM centres AS c
     WHERE NOT EXISTS (SELECT 1 FROM service_areas AS a
                       WHERE a.center_id = c.center_id AND a.minutes = %(minutes)s))
        AS without_area,
    (SELECT count(*) FROM service_areas AS a JOIN centres USING (center_id)
     WHERE a.minutes = %(minutes)s AND a.method = 'straight_line') AS straight_line;
