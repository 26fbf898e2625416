-- Only a move (or a change of county) changes where a centre's people walk from; a new
-- name or area leaves its service areas as they are.
CREATE OR REPLACE FUNCTION queue_moved_centres() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_area_queue (center_id, county_code, reason)
    SELECT n.center_id, n.county_code, 'centre'
    FROM new_centres AS n JOIN old_centres AS o USING (center_id)
    WHERE NOT ST_Equals(n.geom, o.geom) OR n.county_code <> o.county_code
    ON CONFLICT (center_id) DO UPDATE SET county_code = EXCLUDED.county_code;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER service_centers_queue_moved AFTER UPDATE ON service_centers
    REFERENCING OLD TABLE AS old_centres NEW TABLE AS new_centres
    FOR EACH STATEMENT EXECUTE FUNCTION queue_moved_centres();
