"""Intake in one statement: a report is placed, filed, dispatched and answered by one
database function, ``intake_event``, instead of some fifteen round trips from Python.

The event is inserted once, in its final intake state (filed, or dispatched with its
deadline), so it is never updated within the request; its two or three history steps go
in with one INSERT. The pieces intake shares with the rest of the loop are functions too,
so each rule is written once:

- ``event_feature``: an event as a GeoJSON Feature (the API's answer and pages);
- ``event_dispatch_rule``: the most specific dispatch rule for a category in an area;
- ``event_likely_duplicate``: the open event a new report most likely repeats.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- An event as a GeoJSON Feature. Public members only, unless private: then the
-- reporter's contact and address and the names of the people who acted are added.
-- centres names who supervises at each escalation level (gis/events/sqlfiles.py).
--
-- PL/pgSQL, not SQL: a SQL function with subqueries is not inlined, and PostgreSQL 15
-- plans its body again in every transaction that calls it (2 of intake's 3 ms of
-- database time); PL/pgSQL keeps its plans for the session.
CREATE FUNCTION event_feature(e events, private boolean, with_history boolean,
                              centres text[]) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
RETURN json_build_object(
    'type', 'Feature',
    'id', e.event_id,
    'geometry', ST_AsGeoJSON(e.geom, 7)::json,
    'properties', jsonb_build_object(
        'tracking_number', e.tracking_number,
        'county_code', rtrim(e.county_code),
        'subdistrict_code', rtrim(e.subdistrict_code),
        'community_code', rtrim(e.community_code),
        'grid_code', rtrim(e.grid_code),
        'category_code', e.category_code,
        'category', (SELECT c.name FROM event_categories AS c
                     WHERE c.category_code = e.category_code),
        'class_code', left(e.category_code, 2),
        'class', (SELECT c.name FROM event_categories AS c
                  WHERE c.category_code = left(e.category_code, 2)),
        'description', e.description,
        'source', e.source,
        'status', e.status,
        'location_source', e.location_source,
        'reported_at', e.reported_at,
        'dispatched_at', e.dispatched_at,
        'deadline_hours', e.deadline_hours,
        'deadline_at', e.deadline_at,
        'handled_at', e.handled_at,
        'closed_at', e.closed_at,
        'evaluated_at', e.evaluated_at,
        'rating', e.rating,
        'overdue', e.overdue,
        'escalation_level', e.escalation_level,
        'supervised_by', centres[e.escalation_level + 1],
        'rework_count', e.rework_count,
        'assignee', CASE e.assignee_kind
            WHEN 'department' THEN (
                SELECT jsonb_build_object('kind', 'department',
                                          'department_code', d.department_code,
                                          'name', d.name)
                FROM departments AS d WHERE d.department_id = e.department_id)
            WHEN 'grid' THEN jsonb_build_object('kind', 'grid', 'grid_code', rtrim(e.grid_code))
        END,
        'duplicate_of', CASE WHEN e.duplicate_of IS NOT NULL THEN (
            SELECT jsonb_build_object('id', o.event_id, 'tracking_number', o.tracking_number)
            FROM events AS o WHERE o.event_id = e.duplicate_of) END,
        'photos', (SELECT count(*) FROM event_photos AS p WHERE p.event_id = e.event_id)
    ) || CASE WHEN private THEN jsonb_build_object(
        'reporter_name', e.reporter_name,
        'reporter_phone', e.reporter_phone,
        'address', e.address) ELSE '{}'::jsonb END
      || CASE WHEN with_history THEN jsonb_build_object('history', (
        SELECT coalesce(jsonb_agg(
                   jsonb_build_object(
                       'history_id', h.history_id,
                       'action', h.action,
                       'from_status', h.from_status,
                       'to_status', h.to_status,
                       'role', h.actor_role,
                       'at', h.at,
                       'note', h.note,
                       'details', h.details)
                   || CASE WHEN private
                           THEN jsonb_build_object('actor', h.actor, 'token_id', h.token_id)
                           ELSE '{}'::jsonb END
                   ORDER BY h.history_id), '[]'::jsonb)
        FROM event_history AS h WHERE h.event_id = e.event_id)) ELSE '{}'::jsonb END
);
END
$$;

-- The code of the department an event is dispatched to (the OGC events collection's
-- `department` property, whatever alias the feature queries give the table).
CREATE FUNCTION event_department_code(department_id bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.department_code FROM departments AS d
    WHERE d.department_id = event_department_code.department_id
$$;

-- The dispatch rule for a category in an area: the most specific one wins, a subclass
-- rule over a class rule, then a community rule over a subdistrict rule over a
-- county-wide rule. A rule sending the task to the grid applies only in a grid.
CREATE FUNCTION event_dispatch_rule(county bpchar, category text, subdistrict bpchar,
                                    community bpchar, in_grid boolean)
RETURNS TABLE (rule_id bigint, assignee_kind text, department_id bigint,
               department_code text, department_name text, deadline_hours integer,
               category_code text, area_code text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.rule_id, r.assignee_kind, r.department_id, d.department_code, d.name,
           r.deadline_hours, r.category_code, r.area_code
    FROM dispatch_rules AS r
    LEFT JOIN departments AS d ON d.department_id = r.department_id
    WHERE r.county_code = county
      AND r.category_code IN (category, left(category, 2))
      AND r.area_code IN (rtrim(county), rtrim(subdistrict), rtrim(community))
      AND (r.assignee_kind = 'department' OR in_grid)
    ORDER BY length(r.category_code) DESC, length(r.area_code) DESC
    LIMIT 1
$$;

-- The open event of the same category that a report at point, reported_at most likely
-- repeats: within metres (on the spheroid; events_geog_idx serves ST_DWithin) and
-- reported at most hours before it. Events that are themselves likely duplicates come
-- last, so reports gather on the first one; then the nearest, then the earliest.
CREATE FUNCTION event_likely_duplicate(county bpchar, category text, point geometry,
                                       reported_at timestamptz, metres float8,
                                       hours integer, open text[], not_event bigint)
RETURNS TABLE (event_id bigint, tracking_number text, metres float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT earlier.event_id, earlier.tracking_number,
           ST_Distance(earlier.geom::geography, point::geography)
    FROM events AS earlier
    WHERE earlier.event_id IS DISTINCT FROM not_event
      AND earlier.county_code = county
      AND earlier.category_code = category
      AND earlier.status = ANY (open)
      -- the parameter, not the column: a SQL function resolves bare names to columns
      AND earlier.reported_at
          BETWEEN event_likely_duplicate.reported_at - make_interval(hours => hours)
              AND event_likely_duplicate.reported_at
      AND ST_DWithin(earlier.geom::geography, point::geography, metres)
    ORDER BY earlier.duplicate_of IS NOT NULL,
             ST_Distance(earlier.geom::geography, point::geography),
             earlier.reported_at, earlier.event_id
    LIMIT 1
$$;

-- A report becomes an event (gis/events/intake.py prepares the arguments). Returns one
-- row: outcome, event_id, status_code, response. Outcomes:
--   created          the event is stored; response is the answer (also kept under the
--                    Idempotency-Key, when one was given)
--   replayed         the key was used before for the same request: its first answer
--   key_reused       the key was used before for another request (nothing written)
--   unknown_category nothing written
--   outside          the point lies in no district (nothing written)
--   wrong_county     the point lies in another county than the caller's token; response
--                    is that county's code (nothing written)
-- Few statements on purpose: each costs an executor start-up, and intake runs hundreds
-- of times a second.
CREATE FUNCTION intake_event(
    category text, description text, source text, lon float8, lat float8,
    location_source text, reported_at timestamptz, reporter_name text,
    reporter_phone text, reporter_key text, address text,
    actor text, actor_role text, token_id bigint, actor_county text,
    idempotency_scope text, idempotency_key text, request_sha256 text,
    duplicate_metres float8, duplicate_hours integer, open_statuses text[],
    centres text[], allowed_actions jsonb,
    photo_types text[], photo_contents bytea[], photo_sha256 text[],
    photo_widths integer[], photo_heights integer[],
    photo_lons float8[], photo_lats float8[])
RETURNS TABLE (outcome text, event_id bigint, status_code integer, response text)
LANGUAGE plpgsql AS $$
DECLARE
    stored          record;
    v_point         geometry := ST_SetSRID(ST_MakePoint(lon, lat), 4326);
    v_at            timestamptz := coalesce(reported_at, now());
    v_category      text;
    v_county        bpchar;
    v_grid          bpchar;
    v_community     bpchar;
    v_subdistrict   bpchar;
    v_duplicate     record;
    v_rule          record;
    v_dispatch      boolean;
    v_deadline      timestamptz;
    v_event         events;
    v_answer        jsonb;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        -- Requests with one key wait for each other: the second finds the first's answer.
        PERFORM pg_advisory_xact_lock(
            hashtextextended(idempotency_scope || chr(31) || idempotency_key, 7004));
        SELECT k.request_sha256, k.status_code, k.response, k.event_id INTO stored
        FROM idempotency_keys AS k
        WHERE k.scope = idempotency_scope AND k.idempotency_key = intake_event.idempotency_key;
        IF FOUND THEN
            IF stored.request_sha256 <> intake_event.request_sha256 THEN
                RETURN QUERY SELECT 'key_reused', stored.event_id, 422, NULL::text;
            ELSE
                RETURN QUERY SELECT 'replayed', stored.event_id, stored.status_code::integer,
                                    stored.response::text;
            END IF;
            RETURN;
        END IF;
    END IF;

    -- The category (code or name) and the place. Placement follows place_events.sql: a
    -- point on a shared boundary goes to the lowest code; a point in a gap between
    -- grids keeps its community, one outside every community its subdistrict.
    SELECT known.category_code, district.county_code, grid.grid_code,
           coalesce(grid.community_code, community.community_code),
           coalesce(left(grid.community_code, 9), left(community.community_code, 9),
                    subdistrict.subdistrict_code)
    INTO v_category, v_county, v_grid, v_community, v_subdistrict
    FROM (SELECT 1) AS report
    LEFT JOIN LATERAL (
        SELECT c.category_code FROM event_categories AS c
        WHERE category IN (c.category_code, c.name)
        ORDER BY c.category_code LIMIT 1
    ) AS known ON true
    LEFT JOIN LATERAL (
        SELECT d.county_code FROM districts AS d
        WHERE ST_Intersects(d.geom, v_point) ORDER BY d.county_code LIMIT 1
    ) AS district ON true
    LEFT JOIN LATERAL (
        SELECT g.grid_code, g.community_code FROM grids AS g
        WHERE district.county_code IS NOT NULL AND ST_Intersects(g.geom, v_point)
        ORDER BY g.grid_code LIMIT 1
    ) AS grid ON true
    LEFT JOIN LATERAL (
        SELECT c.community_code FROM communities AS c
        WHERE district.county_code IS NOT NULL AND grid.grid_code IS NULL
          AND ST_Intersects(c.geom, v_point)
        ORDER BY c.community_code LIMIT 1
    ) AS community ON true
    LEFT JOIN LATERAL (
        SELECT s.subdistrict_code FROM subdistricts AS s
        WHERE district.county_code IS NOT NULL AND grid.grid_code IS NULL
          AND community.community_code IS NULL AND ST_Intersects(s.geom, v_point)
        ORDER BY s.subdistrict_code LIMIT 1
    ) AS subdistrict ON true;
    IF v_category IS NULL THEN
        RETURN QUERY SELECT 'unknown_category', NULL::bigint, 422, NULL::text;
        RETURN;
    ELSIF v_county IS NULL THEN
        RETURN QUERY SELECT 'outside', NULL::bigint, 422, NULL::text;
        RETURN;
    ELSIF actor_county IS NOT NULL AND actor_county <> rtrim(v_county) THEN
        RETURN QUERY SELECT 'wrong_county', NULL::bigint, 403, rtrim(v_county)::text;
        RETURN;
    END IF;

    -- Filed, then either held as a likely duplicate or dispatched by the rules; decided
    -- before the insert so that the event is written once, in its final state.
    SELECT * INTO v_duplicate FROM event_likely_duplicate(
        v_county, v_category, v_point, v_at, duplicate_metres, duplicate_hours,
        open_statuses, NULL);
    SELECT * INTO v_rule FROM event_dispatch_rule(
        v_county, v_category, v_subdistrict, v_community, v_grid IS NOT NULL);
    v_dispatch := v_duplicate.event_id IS NULL AND v_rule.rule_id IS NOT NULL;
    IF v_dispatch THEN
        v_deadline := v_at + make_interval(hours => v_rule.deadline_hours);
    END IF;

    INSERT INTO events (
        event_id, tracking_number, county_code, category_code, description, source,
        status, reported_at, grid_code, community_code, subdistrict_code, geom,
        reporter_name, reporter_phone, reporter_key_sha256, address, location_source,
        duplicate_of, assignee_kind, department_id, dispatch_rule_id, dispatched_at,
        deadline_hours, deadline_at, escalate_at, updated_at)
    SELECT
        new.event_id, event_tracking_number(new.event_id, v_at), v_county, v_category,
        description, source,
        CASE WHEN v_dispatch THEN 'dispatched' ELSE 'filed' END,
        v_at, v_grid, v_community, v_subdistrict, v_point,
        reporter_name, reporter_phone,
        encode(sha256(convert_to(reporter_key, 'UTF8')), 'hex'), address, location_source,
        v_duplicate.event_id,
        CASE WHEN v_dispatch THEN v_rule.assignee_kind END,
        CASE WHEN v_dispatch THEN v_rule.department_id END,
        CASE WHEN v_dispatch THEN v_rule.rule_id END,
        CASE WHEN v_dispatch THEN v_at END,
        CASE WHEN v_dispatch THEN v_rule.deadline_hours END,
        v_deadline, v_deadline, v_at
    FROM (SELECT nextval('events_event_id_seq'::regclass) AS event_id) AS new
    RETURNING * INTO v_event;

    -- report, file and (unless held) dispatch: one statement, in order of position.
    INSERT INTO event_history (event_id, county_code, action, from_status, to_status,
                               actor, actor_role, token_id, at, note, details)
    SELECT v_event.event_id, v_county, step.action, step.from_status, step.to_status,
           step.actor, step.actor_role, step.token_id, v_at, step.note, step.details
    FROM (
        VALUES
        (1, 'report', NULL, 'reported', intake_event.actor, intake_event.actor_role,
         intake_event.token_id, '',
         jsonb_build_object('source', source, 'location_source', location_source)),
        (2, 'file', 'reported', 'filed', 'system', 'system', NULL::bigint,
         CASE
             WHEN v_duplicate.event_id IS NOT NULL THEN
                 format('likely duplicate of %s (%s m away); held for staff to merge'
                        ' or dispatch', v_duplicate.tracking_number,
                        round(v_duplicate.metres))
             WHEN NOT v_dispatch THEN
                 'no dispatch rule covers this category here; waiting for staff'
             ELSE ''
         END,
         CASE WHEN v_duplicate.event_id IS NOT NULL THEN jsonb_build_object(
             'likely_duplicate_of', v_duplicate.event_id,
             'tracking_number', v_duplicate.tracking_number,
             'metres', round(v_duplicate.metres::numeric, 1))
         ELSE '{}'::jsonb END)
        UNION ALL
        SELECT 3, 'dispatch', 'filed', 'dispatched', 'system', 'system', NULL,
               format('dispatched to %s, within %s h',
                      CASE WHEN v_rule.assignee_kind = 'department'
                           THEN v_rule.department_name ELSE 'the grid (网格)' END,
                      v_rule.deadline_hours),
               jsonb_build_object('assignee', v_rule.assignee_kind,
                                  'deadline_hours', v_rule.deadline_hours,
                                  'rule', jsonb_build_object(
                                      'rule_id', v_rule.rule_id,
                                      'category_code', v_rule.category_code,
                                      'area_code', v_rule.area_code),
                                  'deadline_at', v_deadline)
               || CASE WHEN v_rule.assignee_kind = 'department' THEN jsonb_build_object(
                      'department', v_rule.department_code,
                      'department_name', v_rule.department_name) ELSE '{}'::jsonb END
        WHERE v_dispatch
    ) AS step (position, action, from_status, to_status, actor, actor_role, token_id,
               note, details)
    ORDER BY step.position;

    IF cardinality(photo_contents) > 0 THEN
        INSERT INTO event_photos (event_id, position, county_code, content_type, bytes,
                                  sha256, width, height, geom, content)
        SELECT v_event.event_id, p.position, v_county, p.content_type, length(p.content),
               p.sha256, p.width, p.height,
               CASE WHEN p.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
               END,
               p.content
        FROM unnest(photo_types, photo_contents, photo_sha256, photo_widths, photo_heights,
                    photo_lons, photo_lats)
             WITH ORDINALITY AS p (content_type, content, sha256, width, height, lon, lat,
                                   position);
    END IF;

    v_answer := jsonb_set(event_feature(v_event, false, true, centres)::jsonb,
                          '{properties,allowed_actions}',
                          coalesce(allowed_actions -> v_event.status, '[]'::jsonb))
                || jsonb_build_object('reporter_key', reporter_key);
    IF idempotency_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (scope, idempotency_key, county_code, request_sha256,
                                      event_id, status_code, response)
        VALUES (idempotency_scope, idempotency_key, v_county, request_sha256,
                v_event.event_id, 201, v_answer);
    END IF;
    RETURN QUERY SELECT 'created', v_event.event_id, 201, v_answer::text;
END
$$;

-- Answers are about 1.7 kB, just under the size where PostgreSQL compresses: lz4 costs
-- a fraction of the default pglz when it does.
ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION lz4;

-- The live feed's notifications: one per statement instead of one per history row
-- (intake appends three rows at once; every server process's listener reads every
-- notification). The payload is a JSON array of public summaries, at most 15 of them,
-- which keeps it under NOTIFY's 8000-byte limit; a statement appending more sends
-- several.
DROP TRIGGER event_history_notify ON event_history;
DROP FUNCTION event_history_notify();
CREATE FUNCTION event_history_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('onemap.notify', true) IS DISTINCT FROM 'off' THEN
        PERFORM pg_notify('onemap_events', batch.summaries::text)
        FROM (
            SELECT json_agg(numbered.summary ORDER BY numbered.history_id) AS summaries
            FROM (
                SELECT added.history_id, event_feed_summary(added, e) AS summary,
                       (row_number() OVER (ORDER BY added.history_id) - 1) / 15 AS part
                FROM added JOIN events AS e ON e.event_id = added.event_id
            ) AS numbered
            GROUP BY numbered.part
            ORDER BY numbered.part
        ) AS batch;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER event_history_notify AFTER INSERT ON event_history
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION event_history_notify();
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS event_history_notify ON event_history;
DROP FUNCTION IF EXISTS event_history_notify();
CREATE FUNCTION event_history_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('onemap.notify', true) IS DISTINCT FROM 'off' THEN
        PERFORM pg_notify('onemap_events', event_feed_summary(NEW, e)::text)
        FROM events AS e WHERE e.event_id = NEW.event_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER event_history_notify AFTER INSERT ON event_history
    FOR EACH ROW EXECUTE FUNCTION event_history_notify();
ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION DEFAULT;
DROP FUNCTION IF EXISTS intake_event(text, text, text, float8, float8, text, timestamptz,
    text, text, text, text, text, text, bigint, text, text, text, text, float8, integer,
    text[], text[], jsonb, text[], bytea[], text[], integer[], integer[], float8[],
    float8[]);
DROP FUNCTION IF EXISTS event_likely_duplicate(bpchar, text, geometry, timestamptz, float8,
    integer, text[], bigint);
DROP FUNCTION IF EXISTS event_dispatch_rule(bpchar, text, bpchar, bpchar, boolean);
DROP FUNCTION IF EXISTS event_feature(events, boolean, boolean, text[]);
DROP FUNCTION IF EXISTS event_department_code(bigint);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
