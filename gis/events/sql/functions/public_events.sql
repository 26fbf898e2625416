-- Events as the public may see them, for the surfaces that read rows rather than the
-- event_feature JSON (OGC API Features): only categories the public may see and events
-- no moderator hid, the point
-- coarsened to its 50 m cell and phone and ID numbers masked (event_anonymise.sql), no
-- personal columns at all (reporter, contact, address, photos, notes). A view over
-- events: sorted after event_anonymise.sql, whose functions it calls.
CREATE OR REPLACE VIEW public_events AS
SELECT e.event_id, e.tracking_number, e.county_code, e.category_code,
       event_public_text(coalesce(e.public_description, e.description)) AS description,
       e.source, e.status, e.location_source, e.reported_at, e.dispatched_at,
       e.deadline_hours, e.deadline_at, e.handled_at, e.closed_at, e.evaluated_at, e.rating,
       e.assignee_kind, e.department_id, e.overdue, e.escalation_level, e.rework_count,
       e.duplicate_of, e.grid_code, e.community_code, e.subdistrict_code,
       event_public_point(e.geom) AS geom
FROM events AS e
JOIN event_categories AS c USING (category_code)
WHERE c.public AND e.hidden_at IS NULL;
