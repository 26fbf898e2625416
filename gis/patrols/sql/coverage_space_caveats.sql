-- What spatial coverage rests on, for a scope: tracks stored but not yet counted (queued
-- for refresh_patrol_coverage), and grids with no targets (never built, or built before
-- the grid was drawn: onemap patrols targets).
SELECT (SELECT count(*) FROM patrol_coverage_queue AS q
        WHERE q.county_code LIKE left(%(scope)s, 6) || '%%')::integer,
       (SELECT count(*) FROM grids AS g
        WHERE g.grid_code LIKE %(scope)s || '%%'
          AND NOT EXISTS (SELECT 1 FROM patrol_targets AS t WHERE t.grid_code = g.grid_code)
       )::integer;
