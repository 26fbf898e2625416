-- The GB/T 30428 indicators of the events reported in a period, per group and in total
-- (gis/events/indicators.py has the definitions). {group_key} is one whitelisted
-- expression over `e` (events); everything else is bound.
WITH period AS (
    SELECT e.*
    FROM events AS e
    WHERE (%(from)s::timestamptz IS NULL OR e.reported_at >= %(from)s::timestamptz)
      AND (%(to)s::timestamptz IS NULL OR e.reported_at < %(to)s::timestamptz)
),
-- One row per event that has a history: was it ever dispatched, ever returned? A return
-- can only follow a dispatch (stages.py), so any return means a wrong dispatch.
steps AS (
    SELECT h.event_id,
           bool_or(h.action = 'dispatch') AS dispatched,
           bool_or(h.action = 'return') AS returned,
           bool_or(h.action <> 'report') AS in_loop
    FROM event_history AS h
    JOIN period USING (event_id)
    GROUP BY h.event_id
),
judged AS (
    SELECT {group_key} AS group_key,
           e.reported_at,
           e.rework_count,
           e.status IN ('rejected', 'duplicate', 'not_responsible') AS void,
           e.status IN ('closed', 'evaluated') AS closed,
           e.status IN ('handled', 'closed', 'evaluated') AS handled,
           CASE WHEN e.status IN ('handled', 'closed', 'evaluated')
                THEN coalesce(e.handled_at, e.closed_at) END AS handled_time,
           CASE WHEN e.status IN ('closed', 'evaluated') THEN e.closed_at END AS closed_time,
           -- Records loaded without the loop (demo, hotline imports: no history but the
           -- report) have no deadline: the one the county-wide rule of their category
           -- would have set.
           CASE WHEN NOT coalesce(steps.in_loop, false) AND e.deadline_at IS NULL
                THEN e.reported_at + make_interval(hours => rule.deadline_hours)
                ELSE e.deadline_at END AS deadline,
           e.overdue,
           -- Loaded without the loop, an event past the dispatch stage was dispatched
           -- and no return is on record.
           CASE WHEN coalesce(steps.in_loop, false) THEN steps.dispatched
                ELSE e.status IN ('dispatched', 'in_progress', 'handled', 'closed',
                                  'evaluated') END AS dispatched,
           coalesce(steps.returned, false) AS returned
    FROM period AS e
    LEFT JOIN steps USING (event_id)
    LEFT JOIN LATERAL (
        SELECT r.deadline_hours FROM dispatch_rules AS r
        WHERE r.area_code = e.county_code
          AND r.category_code IN (e.category_code, left(e.category_code, 2))
        ORDER BY length(r.category_code) DESC
        LIMIT 1
    ) AS rule ON true
),
counted AS (
    SELECT group_key,
           grouping(group_key) = 1 AS is_total,
           count(*) AS reported,
           count(*) FILTER (WHERE void) AS excluded,
           count(*) FILTER (WHERE NOT void) AS due,
           count(*) FILTER (WHERE closed) AS closed,
           count(*) FILTER (WHERE closed AND closed_time <= deadline) AS closed_on_time,
           count(*) FILTER (WHERE handled) AS handled,
           count(*) FILTER (WHERE handled AND handled_time <= deadline) AS handled_on_time,
           count(*) FILTER (WHERE dispatched) AS dispatched,
           count(*) FILTER (WHERE dispatched AND NOT returned) AS dispatched_correctly,
           avg(extract(epoch FROM handled_time - reported_at) / 3600)
               FILTER (WHERE handled_time IS NOT NULL) AS average_handling_hours,
           avg(extract(epoch FROM closed_time - reported_at) / 3600)
               FILTER (WHERE closed_time IS NOT NULL) AS average_closing_hours,
           coalesce(sum(rework_count), 0) AS rework,
           count(*) FILTER (WHERE rework_count > 0) AS reworked_events,
           count(*) FILTER (
               WHERE NOT void AND (overdue OR coalesce(handled_time > deadline, false)
                                   OR (NOT handled AND deadline < %(as_of)s::timestamptz))
           ) AS overdue
    FROM judged
    GROUP BY GROUPING SETS ((group_key), ())
)
SELECT group_key, is_total, reported, excluded, due, closed, closed_on_time, handled,
       handled_on_time, dispatched, dispatched_correctly,
       round(closed::numeric / nullif(due, 0), 4) AS closure_rate,
       round(closed_on_time::numeric / nullif(due, 0), 4) AS on_time_closure_rate,
       round(handled::numeric / nullif(due, 0), 4) AS handling_rate,
       round(handled_on_time::numeric / nullif(due, 0), 4) AS on_time_handling_rate,
       round(dispatched_correctly::numeric / nullif(dispatched, 0), 4)
           AS correct_dispatch_rate,
       round(average_handling_hours::numeric, 2) AS average_handling_hours,
       round(average_closing_hours::numeric, 2) AS average_closing_hours,
       rework, reworked_events, overdue
FROM counted
ORDER BY is_total, group_key NULLS LAST
