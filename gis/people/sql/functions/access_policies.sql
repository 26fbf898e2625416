-- Who may change which events, enforced by PostgreSQL itself for the service's
-- role (onemap_service, migration 0013), whatever the routers above it check.
--
-- Each request says who is calling in settings of its connection (gis/people/scope.py):
-- onemap.role (a token's or person's role, 'public', 'reporter' or 'system'),
-- onemap.county, onemap.grids (a grid member's grids, comma-separated),
-- onemap.department_id (a department handler's department), onemap.team_id (a team
-- token's patrol team), onemap.person_id (the person signed in or owning the token) and,
-- for a reporter, onemap.reporter_key_sha256 (the SHA-256 of the key they presented). A connection that
-- says nothing is the anonymous public. The owner (migrations, the CLI, notebooks)
-- is not subject to these policies.

CREATE OR REPLACE FUNCTION onemap_caller_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('onemap.role', true), ''), 'public')
$$;

-- May the caller change this event (a transition, moderation, escalation)?
CREATE OR REPLACE FUNCTION onemap_may_act(county bpchar, grid bpchar, department bigint,
                                          reporter_key_sha256 bpchar) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE onemap_caller_role()
        WHEN 'system' THEN true
        WHEN 'reporter' THEN reporter_key_sha256 IS NOT NULL
            AND reporter_key_sha256 = current_setting('onemap.reporter_key_sha256', true)
        WHEN 'admin' THEN in_county
        WHEN 'staff' THEN in_county
        WHEN 'grid_member' THEN in_county AND rtrim(grid) = ANY (
            string_to_array(current_setting('onemap.grids', true), ','))
        WHEN 'department' THEN in_county
            AND department = nullif(current_setting('onemap.department_id', true), '')::bigint
        ELSE false
    END
    FROM (SELECT rtrim(county) = current_setting('onemap.county', true) AS in_county) AS c
$$;

-- Reading is not row-secured: every SELECT policy but a constant one would cost the
-- service its spatial indexes (PostGIS's operators are not LEAKPROOF, so PostgreSQL
-- evaluates a policy before them and scans instead: the likely-duplicate check at intake
-- went from 0.2 ms to 15 ms). What the public may read is decided by the public view
-- every public surface goes through (gis/events/sql/functions/event_anonymise.sql).
DROP POLICY IF EXISTS events_read ON events;
CREATE POLICY events_read ON events FOR SELECT TO onemap_service USING (true);
-- Anyone may report (intake checks the county of a token's holder).
DROP POLICY IF EXISTS events_report ON events;
CREATE POLICY events_report ON events FOR INSERT TO onemap_service WITH CHECK (true);
DROP POLICY IF EXISTS events_act ON events;
CREATE POLICY events_act ON events FOR UPDATE TO onemap_service
    USING (onemap_may_act(county_code, grid_code, department_id, reporter_key_sha256))
    -- the scope is checked on the event as it was: a department that returns its task
    -- leaves an event it may no longer act on
    WITH CHECK (true);
-- No DELETE policy: the service deletes no event.

-- May the caller upload patrol tracks for this team? A team token for its own team; a
-- grid member for a team that lists them as a member; administrators and staff for any
-- team of their county; onemap itself for any.
CREATE OR REPLACE FUNCTION onemap_may_upload(county bpchar, team bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE onemap_caller_role()
        WHEN 'system' THEN true
        WHEN 'admin' THEN in_county
        WHEN 'staff' THEN in_county
        WHEN 'team' THEN in_county
            AND team = nullif(current_setting('onemap.team_id', true), '')::bigint
        WHEN 'grid_member' THEN in_county AND EXISTS (
            SELECT FROM patrol_team_members AS m
            WHERE m.team_id = team
              AND m.person_id = nullif(current_setting('onemap.person_id', true), '')::bigint)
        ELSE false
    END
    FROM (SELECT rtrim(county) = current_setting('onemap.county', true) AS in_county) AS c
$$;

-- Uploads are read by anyone the service serves (constant, for the reason above); an
-- upload is written only for a team the caller may upload for. No UPDATE or DELETE
-- policy: the service changes no upload (migration 0015 revokes both as well).
DROP POLICY IF EXISTS patrol_uploads_read ON patrol_uploads;
CREATE POLICY patrol_uploads_read ON patrol_uploads FOR SELECT TO onemap_service USING (true);
DROP POLICY IF EXISTS patrol_uploads_write ON patrol_uploads;
CREATE POLICY patrol_uploads_write ON patrol_uploads FOR INSERT TO onemap_service
    WITH CHECK (onemap_may_upload(county_code, team_id));
