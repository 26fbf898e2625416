-- What a blind-spot list rests on, for a period and scope: tracks without chunks (stored
-- before migration 0017 and still queued: refresh_patrol_coverage chunks them; until then
-- they count for nothing), and the events of the period the list leaves out because the
-- public may not see them (hidden, or of a category that is not public): counted, never
-- shown.
SELECT (SELECT count(*) FROM patrol_coverage_queue AS q
        WHERE q.county_code LIKE left(%(scope)s, 6) || '%%'
          AND NOT EXISTS (SELECT 1 FROM patrol_track_chunks AS c
                          WHERE c.track_id = q.track_id))::integer,
       (SELECT count(*) FROM events AS e
        WHERE e.reported_at >= %(start)s AND e.reported_at < %(end)s
          AND e.county_code LIKE left(%(scope)s, 6) || '%%'
          AND (length(%(scope)s) <= 6 OR e.community_code LIKE %(scope)s || '%%')
          AND NOT event_public(e.category_code, e.hidden_at))::integer;
