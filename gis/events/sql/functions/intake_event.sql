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
-- (reporter_key text gave way to reporter_secret bytea: the key is derived, not made)
DROP FUNCTION IF EXISTS intake_event(
    text, text, text, float8, float8, text, timestamptz, text, text, text, text, text, text,
    bigint, text, text, text, text, float8, integer, text[], text[], jsonb, text[], bytea[],
    text[], integer[], integer[], float8[], float8[]);
CREATE OR REPLACE FUNCTION intake_event(
    category text, description text, source text, lon float8, lat float8,
    location_source text, reported_at timestamptz, reporter_name text,
    reporter_phone text, reporter_secret bytea, address text,
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
    v_event_id      bigint;
    v_reporter_key  text;
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
                -- the stored answer lacks the reporter key: derived again
                RETURN QUERY SELECT 'replayed', stored.event_id, stored.status_code::integer,
                    (stored.response || jsonb_build_object('reporter_key',
                        event_reporter_key(stored.event_id, reporter_secret)))::text;
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

    v_event_id := nextval('events_event_id_seq'::regclass);
    v_reporter_key := event_reporter_key(v_event_id, reporter_secret);
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
        encode(sha256(convert_to(v_reporter_key, 'UTF8')), 'hex'), address, location_source,
        v_duplicate.event_id,
        CASE WHEN v_dispatch THEN v_rule.assignee_kind END,
        CASE WHEN v_dispatch THEN v_rule.department_id END,
        CASE WHEN v_dispatch THEN v_rule.rule_id END,
        CASE WHEN v_dispatch THEN v_at END,
        CASE WHEN v_dispatch THEN v_rule.deadline_hours END,
        v_deadline, v_deadline, v_at
    FROM (SELECT v_event_id AS event_id) AS new
    RETURNING * INTO v_event;

    -- report, file and (unless held) dispatch: one statement, in order of position.
    -- (onemap's own notes say nothing personal: the public reads them)
    INSERT INTO event_history (event_id, county_code, action, from_status, to_status,
                               actor, actor_role, token_id, at, note, note_public, details)
    SELECT v_event.event_id, v_county, step.action, step.from_status, step.to_status,
           step.actor, step.actor_role, step.token_id, v_at, step.note,
           step.actor_role = 'system', step.details
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
             'metres', round(v_duplicate.metres::numeric, 1),
             'note_code', 'likely_duplicate')
         WHEN NOT v_dispatch THEN jsonb_build_object('note_code', 'no_rule')
         ELSE '{}'::jsonb END)
        UNION ALL
        SELECT 3, 'dispatch', 'filed', 'dispatched', 'system', 'system', NULL,
               format('dispatched to %s, within %s h',
                      CASE WHEN v_rule.assignee_kind = 'department'
                           THEN v_rule.department_name ELSE 'the grid (网格)' END,
                      v_rule.deadline_hours),
               jsonb_build_object('assignee', v_rule.assignee_kind,
                                  'note_code', 'dispatched',
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
                          coalesce(allowed_actions -> v_event.status, '[]'::jsonb));
    IF idempotency_key IS NOT NULL THEN
        -- kept without the reporter key: nothing stores it
        INSERT INTO idempotency_keys (scope, idempotency_key, county_code, request_sha256,
                                      event_id, status_code, response)
        VALUES (idempotency_scope, idempotency_key, v_county, request_sha256,
                v_event.event_id, 201, v_answer);
    END IF;
    RETURN QUERY SELECT 'created', v_event.event_id, 201,
        (v_answer || jsonb_build_object('reporter_key', v_reporter_key))::text;
END
$$;
