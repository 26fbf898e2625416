-- The latest transitions, newest first: what a screen showing the live feed starts with
-- before the next one arrives. The same public summary and place filters as the replay
-- (feed_replay.sql), walked back from the newest history id so only the page is read.
SELECT h.history_id, h.action, event_feed_summary(h, e)::text
FROM event_history AS h
JOIN events AS e ON e.event_id = h.event_id
WHERE event_public(e.category_code, e.hidden_at)
  AND (%(grid_code)s::text IS NULL OR rtrim(e.grid_code) = %(grid_code)s)
  AND (%(community_code)s::text IS NULL OR rtrim(e.community_code) = %(community_code)s)
  AND (%(subdistrict_code)s::text IS NULL OR rtrim(e.subdistrict_code) = %(subdistrict_code)s)
ORDER BY h.history_id DESC
LIMIT %(limit)s
