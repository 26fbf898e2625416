-- Per area of a level, its grids and those meeting the monthly visit standard of their
-- kind in every calendar month (China time) the period touches: at least min_visits
-- visits and min_hours hours inside (gis/patrols/visits.py). standards is
-- patrols/coverage_grids.sql (each grid's standard), visits patrols/coverage_time.sql
-- (visits and seconds inside per grid and month, all teams together).
WITH areas AS ({areas}),
standards AS ({standards}),
visited AS ({visits}),
months AS (
    SELECT generate_series(
               date_trunc('month', %(start)s::timestamptz AT TIME ZONE 'Asia/Shanghai'),
               date_trunc('month', (%(end)s::timestamptz - interval '1 microsecond')
                                   AT TIME ZONE 'Asia/Shanghai'),
               interval '1 month')::date AS month
),
judged AS (
    SELECT s.grid_code,
           bool_and(coalesce(v.visits, 0) >= s.min_visits
                    AND coalesce(v.inside_s, 0) / 3600.0 >= s.min_hours) AS meets
    FROM standards AS s
    CROSS JOIN months AS m
    LEFT JOIN visited AS v ON v.grid_code = s.grid_code AND v.month = m.month
    GROUP BY s.grid_code
)
SELECT a.code, a.name,
       count(j.grid_code) AS grids,
       count(j.grid_code) FILTER (WHERE j.meets) AS grids_meeting
FROM areas AS a
LEFT JOIN judged AS j ON left(j.grid_code, {length}) = a.code
GROUP BY a.code, a.name
