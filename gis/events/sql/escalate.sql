-- Escalate every event not yet handled whose next escalation fell due by %(now)s: the
-- community station 社区站 (level 0) hands supervision to the subdistrict sub-centre
-- 街道分中心 (1) at the deadline, and that to the district centre 城区中心 (2) another
-- deadline_hours later. The level owed follows from the time elapsed, so a sweep that ran
-- late catches up in one step and a second sweep at the same instant changes nothing.
-- Each escalation is flagged overdue and appended to the history (one row per event).
WITH due AS (
    SELECT e.event_id, e.escalation_level AS from_level,
           least(2, 1 + floor(extract(epoch FROM %(now)s::timestamptz - e.deadline_at)
                              / (3600 * e.deadline_hours)))::smallint AS to_level
    FROM events AS e
    WHERE e.escalate_at <= %(now)s::timestamptz
      AND e.status = ANY (%(before_handled)s)
      AND e.deadline_at IS NOT NULL
    ORDER BY e.event_id
    FOR UPDATE
),
escalated AS (
    UPDATE events AS e
    SET escalation_level = due.to_level,
        overdue = true,
        escalate_at = CASE WHEN due.to_level < 2
                           THEN e.deadline_at + make_interval(hours => e.deadline_hours * due.to_level)
                      END,
        updated_at = %(now)s::timestamptz
    FROM due
    WHERE e.event_id = due.event_id AND due.to_level > due.from_level
    RETURNING e.event_id, e.county_code, e.tracking_number, e.status, e.deadline_at,
              due.from_level, due.to_level, rtrim(e.grid_code) AS grid_code
),
logged AS (
    INSERT INTO event_history (event_id, county_code, action, from_status, to_status, actor,
                               actor_role, at, note_public, note, details)
    SELECT event_id, county_code, 'escalate', status, status, 'onemap', 'system',
           %(now)s::timestamptz, true,
           format('overdue since %%s: supervised by %%s',
                  to_char(deadline_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
                  (%(centres)s::text[])[to_level + 1]),
           jsonb_build_object('from_level', from_level, 'to_level', to_level,
                              'deadline_at', deadline_at, 'note_code', 'escalated')
    FROM escalated
    RETURNING event_id
)
SELECT escalated.event_id, escalated.tracking_number, escalated.status,
       escalated.from_level, escalated.to_level, escalated.deadline_at, escalated.grid_code
FROM escalated
ORDER BY escalated.event_id
