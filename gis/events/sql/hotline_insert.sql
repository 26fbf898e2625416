-- Store the placed tickets not imported before (by ticket id, recorded in the report
-- step of the history) as events of source hotline_12345 with SJ tracking numbers, and
-- one history row each: the report, from no stage to the imported one.
WITH fresh AS (
    SELECT s.*, p.county_code, p.grid_code, p.community_code, p.subdistrict_code,
           nextval(pg_get_serial_sequence('events', 'event_id')) AS event_id
    FROM hotline_staging AS s
    JOIN hotline_placed AS p USING (row_no)
    WHERE NOT EXISTS (
        SELECT 1 FROM event_history AS h
        WHERE h.action = 'report' AND h.details ->> 'hotline_ticket' = s.ticket_id
    )
),
stored AS (
    INSERT INTO events (
        event_id, tracking_number, county_code, category_code, description, source,
        status, reported_at, closed_at, handled_at, grid_code, community_code,
        subdistrict_code, geom, address, updated_at)
    SELECT event_id, event_tracking_number(event_id, reported_at),
           county_code,
           category_code, coalesce(description, ''), 'hotline_12345', status, reported_at, closed_at,
           closed_at, grid_code, community_code, subdistrict_code, geom, address,
           reported_at
    FROM fresh
    RETURNING event_id, county_code, status, reported_at
)
INSERT INTO event_history (event_id, county_code, action, from_status, to_status, actor,
                           actor_role, at, note, note_public, details)
SELECT stored.event_id, stored.county_code, 'report', NULL, stored.status,
       %(actor)s::text, 'system', stored.reported_at, 'imported from the 12345 hotline', true,
       jsonb_build_object('source', 'hotline_12345', 'hotline_ticket', fresh.ticket_id,
                          'import', %(label)s::text, 'note_code', 'hotline_import')
FROM stored JOIN fresh USING (event_id)
