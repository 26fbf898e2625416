-- The public summary of one transition: what the NOTIFY carries and what the live feed
-- replays (gis/events/sql/feed_replay.sql), written once so the two cannot drift.
-- No personal data, no notes; the point coarsened to its 50 m cell (event_anonymise.sql).
-- Events of categories the public may not see are not summarised at all: the NOTIFY
-- trigger and the replay leave them out (event_category_public).
CREATE OR REPLACE FUNCTION event_feed_summary(h event_history, e events) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
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
        'lon', ST_X(public.point),
        'lat', ST_Y(public.point))
    FROM (SELECT event_public_point(e.geom) AS point) AS public
$$;
