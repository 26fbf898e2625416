-- Events as GeoJSON Features, built in the database by functions/event_feature.sql.
-- Public members only, unless %(private)s; with the history when %(with_history)s.
-- Callers append WHERE (on e), ORDER BY and LIMIT.
SELECT event_feature(e, %(private)s, %(with_history)s, %(centres)s) AS feature
FROM events AS e
