-- The latest patrol visits to the grids under a code prefix: stretches of tracks inside
-- a grid (patrol_stretches), the newest first, with the team that walked them.
SELECT coalesce(json_agg(json_build_object(
           'grid_code', rtrim(v.grid_code), 'team', v.team, 'team_kind', v.kind,
           'entered_at', v.entered_at, 'left_at', v.left_at,
           'minutes', round((v.inside_s / 60)::numeric, 1))
           ORDER BY v.entered_at DESC), '[]'::json),
       max(v.left_at)
FROM (SELECT s.grid_code, t.name AS team, t.kind, s.entered_at, s.left_at, s.inside_s
      FROM patrol_stretches AS s
      JOIN patrol_teams AS t USING (team_id)
      WHERE s.grid_code LIKE %(prefix)s || '%%'
      ORDER BY s.entered_at DESC
      LIMIT %(latest)s) AS v
