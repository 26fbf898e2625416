-- A service area is stored, not computed on every read, so it goes stale when its centre
-- moves or its county's walking network changes: these triggers queue such centres in
-- service_area_queue in the same transaction as the change, and
-- gis.access.refresh_service_areas recomputes the queued ones. A new centre has no areas
-- yet: queued.
CREATE OR REPLACE FUNCTION queue_new_centres() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_area_queue (center_id, county_code, reason)
    SELECT center_id, county_code, 'centre' FROM new_centres
    ON CONFLICT (center_id, county_code) DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER service_centers_queue_new AFTER INSERT ON service_centers
    REFERENCING NEW TABLE AS new_centres
    FOR EACH STATEMENT EXECUTE FUNCTION queue_new_centres();
