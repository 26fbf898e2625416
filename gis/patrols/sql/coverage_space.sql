-- Per grid of a scope (a code prefix; '' for everything): what can be patrolled in it
-- (buildings, street length, 50 m cells) and how much of it a patrol passed within R
-- metres in the period, with the last time one did.
-- Whole calendar months (live false) are read from the month sets refresh_patrol_coverage
-- keeps: months in [first_month, end_month). Any other period (live true) is counted from
-- the chunks walked in [start, end), with radius_m.
WITH targets AS (
    SELECT t.grid_code,
           count(*) FILTER (WHERE t.kind = 'building') AS buildings,
           coalesce(sum(t.length_m) FILTER (WHERE t.kind = 'street'), 0) AS street_m,
           count(*) FILTER (WHERE t.kind = 'cell') AS cells
    FROM patrol_targets AS t
    WHERE t.grid_code LIKE %(scope)s || '%%'
    GROUP BY t.grid_code
),
passed AS (
    SELECT p.target_id, max(p.last_at) AS last_at
    FROM patrolled_targets AS p
    WHERE NOT %(live)s AND p.grid_code LIKE %(scope)s || '%%'
      AND p.month >= %(first_month)s AND p.month < %(end_month)s
    GROUP BY p.target_id
    UNION ALL
    SELECT t.target_id, max(upper(c.during))
    FROM patrol_track_chunks AS c
    JOIN patrol_targets AS t ON ST_DWithin(t.probe_4545, c.geom_4545, %(radius_m)s)
    WHERE %(live)s AND c.during && tstzrange(%(start)s, %(end)s)
      AND t.grid_code LIKE %(scope)s || '%%'
    GROUP BY t.target_id
),
patrolled AS (
    SELECT t.grid_code,
           count(*) FILTER (WHERE t.kind = 'building') AS buildings,
           coalesce(sum(t.length_m) FILTER (WHERE t.kind = 'street'), 0) AS street_m,
           count(*) FILTER (WHERE t.kind = 'cell') AS cells,
           max(p.last_at) AS last_at
    FROM passed AS p JOIN patrol_targets AS t ON t.target_id = p.target_id
    GROUP BY t.grid_code
)
SELECT rtrim(tg.grid_code), tg.buildings, coalesce(pd.buildings, 0), tg.street_m,
       coalesce(pd.street_m, 0), tg.cells, coalesce(pd.cells, 0), pd.last_at
FROM targets AS tg LEFT JOIN patrolled AS pd ON pd.grid_code = tg.grid_code
ORDER BY tg.grid_code;
