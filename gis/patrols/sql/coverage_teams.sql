-- The teams serving grids of a scope (patrol_team_grids), one row per team and grid.
-- Parameters: scope.
SELECT t.team_id, t.team_code, t.name, t.kind, tg.grid_code
FROM patrol_team_grids AS tg
JOIN patrol_teams AS t USING (team_id)
WHERE tg.grid_code LIKE %(scope)s || '%%'
ORDER BY t.team_code, tg.grid_code;
