-- Only a move changes where a centre's people walk from; a new name or area leaves its
-- service areas as they are. A centre keeps its county (the county is part of its key, and
-- its service areas point at that key): one in another county is a new centre.
CREATE OR REPLACE FUNCTION queue_moved_centres() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_area_queue (center_id, county_code, reason)
    SELECT n.center_id, n.county_code, 'centre'
    FROM new_centres AS n JOIN old_centres AS o USING (center_id, county_code)
    WHERE NOT ST_Equals(n.geom, o.geom)
    ON CONFLICT (center_id, county_code) DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER service_centers_queue_moved AFTER UPDATE ON service_centers
    REFERENCING OLD TABLE AS old_centres NEW TABLE AS new_centres
    FOR EACH STATEMENT EXECUTE FUNCTION queue_moved_centres();
