-- The loop behind each demo event's stage. The generator decides an event's stage and,
-- for a finished one, when it was closed; this writes who it was dispatched to (by the
-- dispatch rules, as intake would), its deadline, when it was handled and rated, and one
-- history row per step, so that the demo's dashboard, indicators and feed replay show
-- what a working district shows. Times are fractions of the event's span (report to
-- close, or to %(now)s, the demo's present) and pseudo-random figures come from the
-- event id, so the same seed gives the same loop. The escalation sweep is run after
-- this, at %(now)s, for the events still open past their deadline.
CREATE TEMP TABLE demo_loop ON COMMIT DROP AS
SELECT e.event_id, e.county_code, e.status, e.source, e.reported_at, e.closed_at,
       rule.rule_id, coalesce(rule.assignee_kind, 'grid') AS assignee_kind,
       rule.department_id, rule.department_code, rule.department_name,
       coalesce(rule.deadline_hours, 72) AS deadline_hours,
       rule.category_code AS rule_category, rule.area_code AS rule_area,
       coalesce(e.closed_at, %(now)s::timestamptz) - e.reported_at AS span,
       ((e.event_id * 7919) %% 1000) / 1000.0 AS u_pace,
       ((e.event_id * 104729) %% 1000) / 1000.0 AS u_rating,
       ((e.event_id * 1299709) %% 1000) / 1000.0 AS u_rework
FROM events AS e
LEFT JOIN LATERAL event_dispatch_rule(
    e.county_code, e.category_code, e.subdistrict_code, e.community_code,
    e.grid_code IS NOT NULL) AS rule ON true;

CREATE TEMP TABLE demo_steps ON COMMIT DROP AS
WITH timed AS (
    SELECT l.*,
           l.status IN ('filed', 'dispatched', 'in_progress', 'handled', 'closed',
                        'evaluated', 'duplicate', 'not_responsible') AS filed,
           l.status IN ('dispatched', 'in_progress', 'handled', 'closed', 'evaluated',
                        'not_responsible') AS dispatched,
           l.status IN ('in_progress', 'handled', 'closed', 'evaluated') AS accepted,
           l.status IN ('handled', 'closed', 'evaluated') AS handled,
           l.status IN ('closed', 'evaluated') AND l.u_rework < 0.08 AS reworked,
           l.reported_at + l.span * 0.03 AS file_at,
           l.reported_at + l.span * 0.06 AS dispatch_at,
           l.reported_at + l.span * 0.15 AS accept_at,
           l.reported_at + l.span * 0.16 AS first_handle_at,
           l.reported_at + l.span * 0.18 AS rework_at,
           -- most handled within the deadline, about one in six late; always after
           -- the acceptance and before the close
           greatest(l.reported_at + l.span * 0.2,
                    least(l.reported_at + l.span * CASE WHEN l.closed_at IS NULL THEN 0.5
                                                        ELSE 0.8 END,
                          l.reported_at + l.span * 0.06
                          + make_interval(hours => l.deadline_hours)
                            * (0.2 + 0.95 * l.u_pace))) AS handle_at,
           -- rated within a day of closing, never after the demo's present
           least(l.closed_at + interval '2 hours' + l.span * 0.1 * l.u_pace,
                 l.closed_at + (%(now)s::timestamptz - l.closed_at) / 2) AS evaluate_at,
           CASE WHEN l.source = 'qr' THEN 'public'
                WHEN l.source IN ('grid_member', 'patrol') THEN 'grid_member'
                WHEN l.source = 'open311' THEN 'open311'
                ELSE 'system' END AS reporter_role,
           CASE WHEN l.assignee_kind = 'grid' THEN 'grid_member' ELSE 'staff' END AS doer_role
    FROM demo_loop AS l
)
SELECT event_id, county_code, step.*
FROM timed
CROSS JOIN LATERAL (
    VALUES
    (1, true, 'report', NULL, 'reported', reporter_role, reported_at, '',
     jsonb_build_object('source', source, 'location_source', 'point')),
    (2, status = 'rejected', 'reject', 'reported', 'rejected', 'staff', closed_at,
     '不属于网格管理事项，不予受理', '{}'::jsonb),
    (3, filed, 'file', 'reported', 'filed', 'system', file_at, '', '{}'::jsonb),
    (4, status = 'duplicate', 'merge', 'filed', 'duplicate', 'staff', closed_at,
     '与此前同一事项的上报合并办理', '{}'::jsonb),
    (5, dispatched, 'dispatch', 'filed', 'dispatched', 'system', dispatch_at,
     format('dispatched to %%s, within %%s h',
            CASE WHEN assignee_kind = 'department' THEN department_name
                 ELSE 'the grid (网格)' END, deadline_hours),
     jsonb_build_object('assignee', assignee_kind, 'deadline_hours', deadline_hours,
                        'note_code', 'dispatched',
                        'deadline_at', dispatch_at + make_interval(hours => deadline_hours),
                        'rule', CASE WHEN rule_id IS NOT NULL THEN jsonb_build_object(
                                    'rule_id', rule_id, 'category_code', rule_category,
                                    'area_code', rule_area) END)
     || CASE WHEN assignee_kind = 'department' THEN jsonb_build_object(
            'department', department_code, 'department_name', department_name)
        ELSE '{}'::jsonb END),
    (6, status = 'not_responsible', 'not_responsible', 'dispatched', 'not_responsible',
     doer_role, closed_at, '不属于本部门职责范围，请重新派遣', '{}'::jsonb),
    (7, accepted, 'accept', 'dispatched', 'in_progress', doer_role, accept_at, '',
     '{}'::jsonb),
    (8, reworked, 'handle', 'in_progress', 'handled', doer_role, first_handle_at, '',
     '{}'::jsonb),
    (9, reworked, 'rework', 'handled', 'in_progress', 'staff', rework_at,
     '核查未办结，退回处置人员返工', '{}'::jsonb),
    (10, handled, 'handle', 'in_progress', 'handled', doer_role, handle_at, '', '{}'::jsonb),
    (11, status IN ('closed', 'evaluated'), 'close', 'handled', 'closed', 'staff',
     closed_at, '', '{}'::jsonb),
    (12, status = 'evaluated', 'evaluate', 'closed', 'evaluated', 'reporter', evaluate_at,
     '',
     jsonb_build_object('rating', CASE WHEN u_rating < 0.55 THEN 5 WHEN u_rating < 0.80 THEN 4
                                       WHEN u_rating < 0.90 THEN 3 WHEN u_rating < 0.96 THEN 2
                                       ELSE 1 END))
) AS step (position, happened, action, from_status, to_status, actor_role, at, note,
           details)
WHERE step.happened;

-- Notes are internal, as the loop writes them, but onemap's own. The notes people type
-- (staff rejecting, merging, sending back) are in Chinese, as the district's staff write them.
INSERT INTO event_history (event_id, county_code, action, from_status, to_status, actor,
                           actor_role, at, note, note_public, details)
SELECT event_id, county_code, action, from_status, to_status, 'demo', actor_role, at, note,
       actor_role = 'system', details
FROM demo_steps
ORDER BY at, event_id, position;

-- The event rows say the same as their history.
WITH summary AS (
    SELECT s.event_id,
           min(s.at) FILTER (WHERE s.action = 'dispatch') AS dispatched_at,
           max(s.at) FILTER (WHERE s.action = 'handle') AS handled_at,
           min(s.at) FILTER (WHERE s.action = 'evaluate') AS evaluated_at,
           min((s.details ->> 'rating')::smallint) FILTER (WHERE s.action = 'evaluate')
               AS rating,
           count(*) FILTER (WHERE s.action = 'rework') AS reworks,
           max(s.at) AS last_at
    FROM demo_steps AS s
    GROUP BY s.event_id
)
UPDATE events AS e
SET assignee_kind = CASE WHEN summary.dispatched_at IS NOT NULL THEN l.assignee_kind END,
    department_id = CASE WHEN summary.dispatched_at IS NOT NULL THEN l.department_id END,
    dispatch_rule_id = CASE WHEN summary.dispatched_at IS NOT NULL THEN l.rule_id END,
    dispatched_at = summary.dispatched_at,
    deadline_hours = CASE WHEN summary.dispatched_at IS NOT NULL THEN l.deadline_hours END,
    deadline_at = summary.dispatched_at + make_interval(hours => l.deadline_hours),
    -- level 0 escalates at the deadline; the sweep run next catches up from there
    escalate_at = CASE WHEN e.status IN ('dispatched', 'in_progress')
                       THEN summary.dispatched_at + make_interval(hours => l.deadline_hours)
                  END,
    handled_at = summary.handled_at,
    overdue = coalesce(summary.handled_at
                       > summary.dispatched_at + make_interval(hours => l.deadline_hours),
                       false),
    evaluated_at = summary.evaluated_at,
    rating = summary.rating,
    rework_count = summary.reworks,
    duplicate_of = CASE WHEN e.status = 'duplicate' THEN (
        SELECT earlier.event_id FROM events AS earlier
        WHERE earlier.category_code = e.category_code AND earlier.county_code = e.county_code
          AND earlier.reported_at < e.reported_at AND earlier.status <> 'duplicate'
        ORDER BY earlier.geom <-> e.geom LIMIT 1) END,
    updated_at = summary.last_at
FROM demo_loop AS l
JOIN summary USING (event_id)
WHERE e.event_id = l.event_id;
