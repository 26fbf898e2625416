-- The transitions a live-feed client missed: history rows after %(after)s, oldest first,
-- each with the same public summary the NOTIFY trigger sends (migration 0004's
-- event_history_notify), so a replayed row and a live one look alike. No personal data,
-- no notes. The place filters match the event's current place.
SELECT h.history_id,
       h.action,
       json_build_object(
           'history_id', h.history_id,
           'event_id', h.event_id,
           'tracking_number', e.tracking_number,
           'county_code', h.county_code,
           'action', h.action,
           'from_status', h.from_status,
           'to_status', h.to_status,
           'actor_role', h.actor_role,
           'at', h.at,
           'category_code', e.category_code,
           'grid_code', rtrim(e.grid_code),
           'community_code', rtrim(e.community_code),
           'subdistrict_code', rtrim(e.subdistrict_code),
           'escalation_level', e.escalation_level,
           'lon', ST_X(e.geom),
           'lat', ST_Y(e.geom))::text
FROM event_history AS h
JOIN events AS e ON e.event_id = h.event_id
WHERE h.history_id > %(after)s
  AND (%(grid_code)s::text IS NULL OR rtrim(e.grid_code) = %(grid_code)s)
  AND (%(community_code)s::text IS NULL OR rtrim(e.community_code) = %(community_code)s)
  AND (%(subdistrict_code)s::text IS NULL OR rtrim(e.subdistrict_code) = %(subdistrict_code)s)
ORDER BY h.history_id
LIMIT %(limit)s
