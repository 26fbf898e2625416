-- Store one file of patrol tracks for a team: clean every fix (clean_patrol_fixes, with the
-- rules of the team's county and kind), then either write the upload, each source track
-- as received with what each rule dropped, and its cleaned pieces as patrol_tracks, or,
-- when any track is refused, write nothing and say why for each.
--
-- A track is refused when every fix lies outside the team's county (and, when they lie in
-- another county onemap keeps, which: outcome wrong_county), when its times go backwards
-- at half its fixes or more (a clock gone wrong, not noise), or when nothing is left after
-- cleaning. One row per source track comes back, in file order.
--
-- With an Idempotency-Key (the HTTP edge, gis/patrols/uploads.py), exactly as
-- intake_event does for reports: requests under one key wait for each other (an advisory
-- lock on the key), the answer is kept under the key in this same transaction, and a
-- repetition comes back as one row, outcome 'replayed' with the first answer, or
-- 'key_reused' when the key came with another request (request_sha256: the fixes and
-- the team, so a GPX and its GeoJSON twin are one request); nothing is written then.
-- Outcomes per row: created | replayed | key_reused | refused | wrong_county |
-- not_stored (a track refused with none of its own problems, because another was).
CREATE OR REPLACE FUNCTION store_patrol_upload(
    p_team_id bigint, p_source text, p_file_name text, p_format text, p_bytes integer,
    p_uploaded_by text, p_token_id bigint, p_person_id bigint, p_labels text[],
    p_track_ords integer[], p_lons float8[], p_lats float8[], p_times float8[],
    p_idempotency_scope text, p_idempotency_key text, p_request_sha256 text)
RETURNS TABLE (ordinal integer, label text, outcome text, problem text, upload_id bigint,
               raw_points integer, kept_points integer, dropped_outside integer,
               dropped_duplicate_time integer, dropped_backward_time integer,
               dropped_jump integer, dropped_speed integer, dropped_lone integer,
               pieces integer, track_ids bigint[], answer jsonb)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    team patrol_teams%ROWTYPE;
    max_kmh float8;
    gap_minutes integer;
    new_upload bigint;
    stored record;
    v_answer jsonb;
BEGIN
    IF p_idempotency_key IS NOT NULL THEN
        -- the key space of intake_event (one table, one prune), its own lock class
        PERFORM pg_advisory_xact_lock(
            hashtextextended(p_idempotency_scope || chr(31) || p_idempotency_key, 7014));
        SELECT k.request_sha256, k.response, k.upload_id INTO stored
        FROM idempotency_keys AS k
        WHERE k.scope = p_idempotency_scope AND k.idempotency_key = p_idempotency_key;
        IF FOUND THEN
            RETURN QUERY SELECT NULL::integer, NULL::text,
                CASE WHEN stored.request_sha256 = p_request_sha256
                          AND stored.upload_id IS NOT NULL
                     THEN 'replayed' ELSE 'key_reused' END,
                NULL::text, stored.upload_id, NULL::integer, NULL::integer, NULL::integer,
                NULL::integer, NULL::integer, NULL::integer, NULL::integer, NULL::integer,
                NULL::integer, NULL::bigint[],
                CASE WHEN stored.request_sha256 = p_request_sha256 THEN stored.response END;
            RETURN;
        END IF;
    END IF;

    SELECT * INTO team FROM patrol_teams AS pt WHERE pt.team_id = p_team_id;
    IF NOT FOUND OR team.disabled_at IS NOT NULL THEN
        RAISE EXCEPTION 'patrol team % is unknown or disabled', p_team_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT r.max_speed_kmh, r.gap_minutes INTO max_kmh, gap_minutes
    FROM patrol_rules AS r WHERE r.county_code = team.county_code AND r.team_kind = team.kind;
    -- a county without rules of its own gets the walk's: 30 km/h (60 riding), 10 minutes
    max_kmh := coalesce(max_kmh, CASE team.kind WHEN 'couriers' THEN 60 ELSE 30 END);
    gap_minutes := coalesce(gap_minutes, 10);

    DROP TABLE IF EXISTS pg_temp.patrol_cleaned;
    CREATE TEMP TABLE patrol_cleaned ON COMMIT DROP AS
    SELECT * FROM clean_patrol_fixes(p_track_ords, p_lons, p_lats, p_times, team.county_code,
                                     max_kmh, gap_minutes * 60.0);

    DROP TABLE IF EXISTS pg_temp.patrol_verdicts;
    CREATE TEMP TABLE patrol_verdicts ON COMMIT DROP AS
    SELECT c.track_ord AS ord,
           count(*)::integer AS raw_n,
           count(*) FILTER (WHERE c.verdict = 'kept')::integer AS kept_n,
           count(*) FILTER (WHERE c.verdict = 'outside')::integer AS outside_n,
           count(*) FILTER (WHERE c.verdict = 'duplicate_time')::integer AS duplicate_n,
           count(*) FILTER (WHERE c.verdict = 'backward_time')::integer AS backward_n,
           count(*) FILTER (WHERE c.verdict = 'jump')::integer AS jump_n,
           count(*) FILTER (WHERE c.verdict = 'speed')::integer AS speed_n,
           count(*) FILTER (WHERE c.verdict = 'lone')::integer AS lone_n,
           count(DISTINCT c.piece)::integer AS pieces_n,
           NULL::text AS why,
           NULL::text AS verdict
    FROM patrol_cleaned AS c GROUP BY c.track_ord;

    -- a track lying wholly in another county onemap keeps: the team does not serve there
    UPDATE patrol_verdicts AS v
    SET verdict = 'wrong_county',
        why = format('team %s serves %s; the track lies in %s', team.team_code,
                     team.county_code, elsewhere.county_code)
    FROM (SELECT DISTINCT ON (c.track_ord) c.track_ord, d.county_code
          FROM patrol_cleaned AS c
          JOIN districts AS d ON d.county_code <> team.county_code
           AND ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326))
          WHERE c.track_ord IN (SELECT pv.ord FROM patrol_verdicts AS pv
                                WHERE pv.outside_n = pv.raw_n)
          GROUP BY c.track_ord, d.county_code
          ORDER BY c.track_ord, count(*) DESC) AS elsewhere
    WHERE v.ord = elsewhere.track_ord;
    UPDATE patrol_verdicts AS v
    SET verdict = 'refused',
        why = CASE
            WHEN v.outside_n = v.raw_n
                THEN format('all %s fixes lie outside county %s', v.raw_n, team.county_code)
            WHEN 2 * v.backward_n >= v.raw_n
                THEN format('times go backwards at %s of %s fixes', v.backward_n, v.raw_n)
            ELSE 'nothing left after cleaning: ' || concat_ws(', ',
                nullif(v.outside_n, 0) || ' outside the county',
                nullif(v.duplicate_n, 0) || ' duplicate time',
                nullif(v.backward_n, 0) || ' backward time',
                nullif(v.jump_n, 0) || ' jump',
                nullif(v.speed_n, 0) || ' too fast',
                nullif(v.lone_n, 0) || ' alone between gaps') END
    WHERE v.verdict IS NULL
      AND (v.outside_n = v.raw_n OR 2 * v.backward_n >= v.raw_n OR v.kept_n = 0);

    IF EXISTS (SELECT 1 FROM patrol_verdicts AS v WHERE v.verdict IS NOT NULL) THEN
        RETURN QUERY
        SELECT v.ord, p_labels[v.ord + 1], coalesce(v.verdict, 'not_stored'), v.why, NULL::bigint,
               v.raw_n, v.kept_n, v.outside_n, v.duplicate_n, v.backward_n, v.jump_n,
               v.speed_n, v.lone_n, v.pieces_n, NULL::bigint[], NULL::jsonb
        FROM patrol_verdicts AS v ORDER BY v.ord;
        RETURN;
    END IF;

    INSERT INTO patrol_uploads AS u (county_code, team_id, source, file_name, format, bytes,
                                     uploaded_by, token_id, person_id)
    VALUES (team.county_code, team.team_id, p_source, p_file_name, p_format, p_bytes,
            p_uploaded_by, p_token_id, p_person_id)
    RETURNING u.upload_id INTO new_upload;

    WITH sources AS (
        INSERT INTO patrol_sources AS s (upload_id, county_code, team_id, ordinal, label,
            raw_points, kept_points, dropped_outside, dropped_duplicate_time,
            dropped_backward_time, dropped_jump, dropped_speed, dropped_lone, pieces, raw)
        SELECT new_upload, team.county_code, team.team_id, v.ord, p_labels[v.ord + 1],
               v.raw_n, v.kept_n, v.outside_n, v.duplicate_n, v.backward_n, v.jump_n,
               v.speed_n, v.lone_n, v.pieces_n,
               (SELECT ST_SetSRID(ST_MakeLine(ST_MakePointM(c.lon, c.lat, c.t) ORDER BY c.seq),
                                  4326)
                FROM patrol_cleaned AS c WHERE c.track_ord = v.ord)
        FROM patrol_verdicts AS v
        RETURNING s.source_id, s.ordinal
    ),
    lines AS (
        SELECT c.track_ord, dense_rank() OVER (PARTITION BY c.track_ord ORDER BY c.piece) - 1
                   AS piece,
               ST_SetSRID(ST_MakeLine(ST_MakePointM(c.lon, c.lat, c.t) ORDER BY c.seq), 4326)
                   AS track,
               count(*)::integer AS points,
               min(c.t) AS first_t, max(c.t) AS last_t
        FROM patrol_cleaned AS c WHERE c.verdict = 'kept'
        GROUP BY c.track_ord, c.piece
    ),
    tracks AS (
        INSERT INTO patrol_tracks AS pt (county_code, community_code, team_id, source_id, piece,
                                         points, length_m, started_at, ended_at, track)
        SELECT team.county_code,
               (SELECT cm.community_code FROM communities AS cm
                WHERE cm.county_code = team.county_code
                  AND ST_Intersects(cm.geom, ST_Force2D(ST_StartPoint(l.track)))
                ORDER BY cm.community_code LIMIT 1),
               team.team_id, s.source_id, l.piece, l.points,
               ST_Length(ST_Force2D(l.track)::geography),
               to_timestamp(l.first_t), to_timestamp(l.last_t), l.track
        FROM lines AS l JOIN sources AS s ON s.ordinal = l.track_ord
        RETURNING pt.track_id, pt.source_id, pt.piece
    )
    SELECT jsonb_build_object(
               'upload_id', new_upload,
               'team', team.team_code,
               'tracks', jsonb_agg(jsonb_build_object(
                   'label', p_labels[v.ord + 1],
                   'raw_points', v.raw_n,
                   'kept_points', v.kept_n,
                   'dropped', jsonb_build_object(
                       'outside', v.outside_n, 'duplicate_time', v.duplicate_n,
                       'backward_time', v.backward_n, 'jump', v.jump_n, 'speed', v.speed_n,
                       'lone', v.lone_n),
                   'pieces', v.pieces_n,
                   'track_ids', coalesce((SELECT to_jsonb(array_agg(t.track_id ORDER BY t.piece))
                                          FROM tracks AS t
                                          WHERE t.source_id = s.source_id), '[]'::jsonb))
                   ORDER BY v.ord))
    INTO v_answer
    FROM patrol_verdicts AS v JOIN sources AS s ON s.ordinal = v.ord;

    IF p_idempotency_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (scope, idempotency_key, county_code, request_sha256,
                                      upload_id, status_code, response)
        VALUES (p_idempotency_scope, p_idempotency_key, team.county_code, p_request_sha256,
                new_upload, 201, v_answer);
    END IF;

    RETURN QUERY
    SELECT v.ord, p_labels[v.ord + 1], 'created'::text, NULL::text, new_upload,
           v.raw_n, v.kept_n, v.outside_n, v.duplicate_n, v.backward_n, v.jump_n,
           v.speed_n, v.lone_n, v.pieces_n,
           ARRAY(SELECT (jsonb_array_elements_text(e.track -> 'track_ids'))::bigint),
           v_answer
    FROM patrol_verdicts AS v
    JOIN LATERAL (SELECT tr AS track FROM jsonb_array_elements(v_answer -> 'tracks')
                  WITH ORDINALITY AS x (tr, n) WHERE x.n = v.ord + 1) AS e ON true
    ORDER BY v.ord;
END
$$;
