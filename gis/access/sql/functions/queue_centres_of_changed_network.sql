-- A county's network changed: every centre of the county walks on a different graph.
CREATE OR REPLACE FUNCTION queue_centres_of_changed_network() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_area_queue (center_id, county_code, reason)
    SELECT c.center_id, c.county_code, 'network'
    FROM service_centers AS c
    WHERE c.county_code IN (SELECT DISTINCT county_code FROM changed_edges)
    ON CONFLICT (center_id, county_code) DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walk_edges_queue_inserted AFTER INSERT ON walk_edges
    REFERENCING NEW TABLE AS changed_edges
    FOR EACH STATEMENT EXECUTE FUNCTION queue_centres_of_changed_network();
CREATE OR REPLACE TRIGGER walk_edges_queue_deleted AFTER DELETE ON walk_edges
    REFERENCING OLD TABLE AS changed_edges
    FOR EACH STATEMENT EXECUTE FUNCTION queue_centres_of_changed_network();
CREATE OR REPLACE TRIGGER walk_edges_queue_updated AFTER UPDATE ON walk_edges
    REFERENCING NEW TABLE AS changed_edges
    FOR EACH STATEMENT EXECUTE FUNCTION queue_centres_of_changed_network();
