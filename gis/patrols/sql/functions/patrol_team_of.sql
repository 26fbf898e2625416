-- A patrol track's team name and kind by the team's id: the patrol_tracks collection's
-- `team_name` and `team_kind` properties, whatever alias the feature queries give the table.
CREATE OR REPLACE FUNCTION patrol_team_name(team bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT name FROM patrol_teams WHERE team_id = team $$;

CREATE OR REPLACE FUNCTION patrol_team_kind(team bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT kind FROM patrol_teams WHERE team_id = team $$;
