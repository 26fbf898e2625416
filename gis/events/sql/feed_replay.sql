-- The transitions a live-feed client missed: history rows after %(after)s, oldest first,
-- each with the public summary the NOTIFY trigger sends (functions/event_feed_summary.sql),
-- so a replayed row and a live one look alike. The place filters match the
-- event's current place.
SELECT h.history_id, h.action, event_feed_summary(h, e)::text
FROM event_history AS h
JOIN events AS e ON e.event_id = h.event_id
WHERE h.history_id > %(after)s
  AND event_public(e.category_code, e.hidden_at)
  AND (%(grid_code)s::text IS NULL OR rtrim(e.grid_code) = %(grid_code)s)
  AND (%(community_code)s::text IS NULL OR rtrim(e.community_code) = %(community_code)s)
  AND (%(subdistrict_code)s::text IS NULL OR rtrim(e.subdistrict_code) = %(subdistrict_code)s)
ORDER BY h.history_id
LIMIT %(limit)s
