-- Visits and hours per grid and month (China time) for stretches that started in
-- [start, end), in the grids of a scope (docs/patrols.md, "Visits and the standard").
-- With by_team, per team and grid, for the grids each team serves (patrol_team_grids):
-- a backing unit's own obligation; without, every team together.
--
-- 1. Stretches that overlap (two teams in the grid at once) are joined into presence:
--    hours count the time someone was inside, once.
-- 2. Presence separated by at most the grid's grace_seconds is one visit (a walk along a
--    boundary street flickers between two grids); a visit lasts from its first entry to
--    its last exit and counts when that is at least the grid's visit_minutes.
-- 3. A visit counts in the month it started in, hours in the month their visit started.
-- Parameters: start, end, scope, by_team, and the defaults grace_seconds, visit_minutes.
WITH scoped AS (
    SELECT g.grid_code,
           coalesce(s.grace_seconds, %(grace_seconds)s) AS grace_seconds,
           coalesce(s.visit_minutes, %(visit_minutes)s) AS visit_minutes
    FROM grids AS g
    LEFT JOIN patrol_standards AS s
           ON s.county_code = g.county_code
          AND s.grid_kind = coalesce(g.dedicated_kind, g.grid_type)
    WHERE g.grid_code LIKE %(scope)s || '%%'
),
stretches AS (
    SELECT CASE WHEN %(by_team)s THEN st.team_id END AS team_id, st.grid_code,
           st.entered_at, st.left_at, g.grace_seconds, g.visit_minutes
    FROM patrol_stretches AS st
    JOIN scoped AS g USING (grid_code)
    WHERE st.entered_at >= %(start)s AND st.entered_at < %(end)s
      AND (NOT %(by_team)s OR EXISTS (
          SELECT 1 FROM patrol_team_grids AS tg
          WHERE tg.team_id = st.team_id AND tg.grid_code = st.grid_code))
),
overlapping AS (
    SELECT s.*,
           -- a new presence unless an earlier stretch is still inside (NULL: the first)
           (s.entered_at > max(s.left_at) OVER (
                PARTITION BY s.team_id, s.grid_code ORDER BY s.entered_at, s.left_at
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) IS NOT FALSE AS starts
    FROM stretches AS s
),
presence AS (
    SELECT o.team_id, o.grid_code, min(o.grace_seconds) AS grace_seconds,
           min(o.visit_minutes) AS visit_minutes,
           min(o.entered_at) AS entered_at, max(o.left_at) AS left_at
    FROM (SELECT ov.*, sum(ov.starts::integer) OVER (
                     PARTITION BY ov.team_id, ov.grid_code ORDER BY ov.entered_at, ov.left_at)
                     AS presence
          FROM overlapping AS ov) AS o
    GROUP BY o.team_id, o.grid_code, o.presence
),
graced AS (
    SELECT p.*,
           (extract(epoch FROM p.entered_at - lag(p.left_at) OVER w) > p.grace_seconds)
               IS NOT FALSE AS starts
    FROM presence AS p
    WINDOW w AS (PARTITION BY p.team_id, p.grid_code ORDER BY p.entered_at)
),
visits AS (
    SELECT v.team_id, v.grid_code, min(v.visit_minutes) AS visit_minutes,
           min(v.entered_at) AS entered_at, max(v.left_at) AS left_at,
           sum(extract(epoch FROM v.left_at - v.entered_at)) AS inside_s
    FROM (SELECT gr.*, sum(gr.starts::integer) OVER (
                     PARTITION BY gr.team_id, gr.grid_code ORDER BY gr.entered_at) AS visit
          FROM graced AS gr) AS v
    GROUP BY v.team_id, v.grid_code, v.visit
)
SELECT v.team_id, v.grid_code,
       date_trunc('month', v.entered_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       count(*) FILTER (WHERE v.left_at - v.entered_at >= make_interval(mins => v.visit_minutes))
           AS visits,
       sum(v.inside_s) AS inside_s,
       max(v.left_at) AS last_patrolled_at
FROM visits AS v
GROUP BY v.team_id, v.grid_code, month
ORDER BY v.team_id, v.grid_code, month;
