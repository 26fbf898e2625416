-- An event as a GeoJSON Feature. Public members only, unless private: then the
-- reporter's contact and address and the names of the people who acted are added.
-- Not private, it is the public view (event_anonymise.sql): the point coarsened to its
-- 50 m cell, the moderator's redacted text for the description if there is one, only
-- the notes written for the public, phone and ID numbers masked in all of them.
-- centres names who supervises at each escalation level (CENTRES, gis/events/stages.py).
--
-- PL/pgSQL, not SQL: a SQL function with subqueries is not inlined, and PostgreSQL 15
-- plans its body again in every transaction that calls it (2 of intake's 3 ms of
-- database time); PL/pgSQL keeps its plans for the session.
CREATE OR REPLACE FUNCTION event_feature(e events, private boolean, with_history boolean,
                                         centres text[]) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
RETURN json_build_object(
    'type', 'Feature',
    'id', e.event_id,
    'geometry', ST_AsGeoJSON(CASE WHEN private THEN e.geom
                                  ELSE event_public_point(e.geom) END, 7)::json,
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
        'description', CASE WHEN private THEN e.description
                            ELSE event_public_text(coalesce(e.public_description,
                                                            e.description)) END,
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
        'address', e.address,
        'moderation', jsonb_build_object(
            'hidden', e.hidden_at IS NOT NULL, 'hidden_at', e.hidden_at,
            'hidden_by', e.hidden_by, 'hidden_reason', e.hidden_reason,
            'public_description', e.public_description, 'redacted_by', e.redacted_by))
        ELSE '{}'::jsonb END
      || CASE WHEN with_history THEN jsonb_build_object('history', (
        SELECT coalesce(jsonb_agg(
                   jsonb_build_object(
                       'history_id', h.history_id,
                       'action', h.action,
                       'from_status', h.from_status,
                       'to_status', h.to_status,
                       'role', h.actor_role,
                       'at', h.at,
                       'note', CASE WHEN private THEN h.note
                                   WHEN h.note_public THEN event_public_text(h.note)
                                   ELSE '' END,
                       'details', h.details)
                   || CASE WHEN private
                           THEN jsonb_build_object('actor', h.actor, 'token_id', h.token_id,
                                                   'note_public', h.note_public)
                           ELSE '{}'::jsonb END
                   ORDER BY h.history_id), '[]'::jsonb)
        FROM event_history AS h WHERE h.event_id = e.event_id)) ELSE '{}'::jsonb END
);
END
$$;
