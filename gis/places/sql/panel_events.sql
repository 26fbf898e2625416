-- The events of a place: open ones by stage, open ones overdue (flagged by the loop or
-- past their deadline now), and the latest few with stage and deadline. source is
-- events for signed-in callers, public_events (what the public may see) otherwise;
-- where is the place's filter over `e`.
WITH placed AS (
    SELECT e.event_id, e.tracking_number, e.category_code, e.status, e.reported_at,
           e.deadline_at, e.overdue OR coalesce(e.deadline_at < %(now)s, false) AS late,
           e.status NOT IN ('closed', 'evaluated', 'rejected', 'duplicate',
                            'not_responsible') AS open
    FROM {source} AS e
    WHERE {where}
)
SELECT (SELECT count(*) FROM placed) AS events,
       (SELECT count(*) FROM placed WHERE open) AS open,
       (SELECT count(*) FROM placed WHERE open AND late) AS overdue,
       (SELECT coalesce(json_object_agg(status, n ORDER BY status), '{{}}'::json)
        FROM (SELECT status, count(*) AS n FROM placed WHERE open GROUP BY status) AS s)
           AS open_by_stage,
       (SELECT coalesce(json_agg(json_build_object(
                   'id', l.event_id, 'tracking_number', l.tracking_number,
                   'category', l.category_code, 'category_name', c.name,
                   'category_name_en', c.name_en, 'stage', l.status,
                   'reported_at', l.reported_at, 'deadline_at', l.deadline_at,
                   'overdue', l.open AND l.late)
                   ORDER BY l.reported_at DESC, l.event_id DESC), '[]'::json)
        FROM (SELECT * FROM placed ORDER BY reported_at DESC, event_id DESC
              LIMIT %(latest)s) AS l
        JOIN event_categories AS c USING (category_code)) AS latest
