-- The open event a stored report most likely repeats (the rule is the database function
-- event_likely_duplicate, migration 0005, which intake uses too).
SELECT duplicate.event_id, duplicate.tracking_number, duplicate.metres
FROM events AS new
CROSS JOIN LATERAL event_likely_duplicate(
    new.county_code, new.category_code, new.geom, new.reported_at,
    %(metres)s, %(hours)s, %(open)s, new.event_id) AS duplicate
WHERE new.event_id = %(event_id)s
