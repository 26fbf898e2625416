-- An event as a GeoJSON Feature, built in the database. Public members only, unless
-- %(private)s: then the reporter's contact and address and the names of the people who
-- acted are added. Callers append WHERE, ORDER BY and LIMIT.
SELECT json_build_object(
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
        'category', category.name,
        'class_code', class.category_code,
        'class', class.name,
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
        'supervised_by', (%(centres)s::text[])[e.escalation_level + 1],
        'rework_count', e.rework_count,
        'assignee', CASE e.assignee_kind
            WHEN 'department' THEN jsonb_build_object(
                'kind', 'department', 'department_code', department.department_code,
                'name', department.name)
            WHEN 'grid' THEN jsonb_build_object('kind', 'grid', 'grid_code', rtrim(e.grid_code))
        END,
        'duplicate_of', CASE WHEN e.duplicate_of IS NOT NULL THEN jsonb_build_object(
            'id', e.duplicate_of, 'tracking_number', original.tracking_number) END,
        'photos', (SELECT count(*) FROM event_photos AS p WHERE p.event_id = e.event_id)
    ) || CASE WHEN %(private)s THEN jsonb_build_object(
        'reporter_name', e.reporter_name,
        'reporter_phone', e.reporter_phone,
        'address', e.address) ELSE '{}'::jsonb END
      || CASE WHEN %(with_history)s THEN jsonb_build_object('history', (
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
                   || CASE WHEN %(private)s
                           THEN jsonb_build_object('actor', h.actor, 'token_id', h.token_id)
                           ELSE '{}'::jsonb END
                   ORDER BY h.history_id), '[]'::jsonb)
        FROM event_history AS h WHERE h.event_id = e.event_id)) ELSE '{}'::jsonb END
) AS feature
FROM events AS e
JOIN event_categories AS category ON category.category_code = e.category_code
JOIN event_categories AS class ON class.category_code = left(e.category_code, 2)
LEFT JOIN departments AS department ON department.department_id = e.department_id
LEFT JOIN events AS original ON original.event_id = e.duplicate_of
