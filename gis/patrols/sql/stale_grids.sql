-- Grids of a scope nobody has patrolled for a number of days before as_of: no stretch
-- left them after as_of − days (the given days, else their kind's stale_days), with the
-- last time a patrol was inside when there was one. Parameters: scope, days (NULL: each
-- kind's standard), default_days, as_of.
WITH scoped AS (
    SELECT g.grid_code, g.name, g.community_code, coalesce(g.dedicated_kind, g.grid_type)
               AS grid_kind,
           coalesce(%(days)s, s.stale_days, %(default_days)s) AS days
    FROM grids AS g
    LEFT JOIN patrol_standards AS s
           ON s.county_code = g.county_code
          AND s.grid_kind = coalesce(g.dedicated_kind, g.grid_type)
    WHERE g.grid_code LIKE %(scope)s || '%%'
)
SELECT g.grid_code, g.name, g.community_code, g.grid_kind, g.days, last.last_at
FROM scoped AS g
LEFT JOIN LATERAL (
    -- a stretch still running at as_of was last seen then
    SELECT max(least(st.left_at, %(as_of)s)) AS last_at FROM patrol_stretches AS st
    WHERE st.grid_code = g.grid_code AND st.entered_at <= %(as_of)s
) AS last ON true
WHERE last.last_at IS NULL OR last.last_at < %(as_of)s - make_interval(days => g.days)
ORDER BY last.last_at NULLS FIRST, g.grid_code;
