-- The open event of the same category that a new report most likely repeats: within
-- %(metres)s m (on the spheroid; the geography GiST index serves ST_DWithin) and reported
-- at most %(hours)s h before it. Events that are themselves likely duplicates come last,
-- so reports gather on the first one; then the nearest, then the earliest.
SELECT earlier.event_id, earlier.tracking_number,
       ST_Distance(earlier.geom::geography, new.geom::geography) AS metres
FROM events AS new
JOIN events AS earlier
  ON earlier.event_id <> new.event_id
 AND earlier.county_code = new.county_code
 AND earlier.category_code = new.category_code
 AND earlier.status = ANY (%(open)s)
 AND earlier.reported_at BETWEEN new.reported_at - make_interval(hours => %(hours)s)
                             AND new.reported_at
 AND ST_DWithin(earlier.geom::geography, new.geom::geography, %(metres)s)
WHERE new.event_id = %(event_id)s
ORDER BY earlier.duplicate_of IS NOT NULL, metres, earlier.reported_at, earlier.event_id
LIMIT 1
