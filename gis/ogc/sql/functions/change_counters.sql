-- Change counters (migration 0019): every statement that changes a table an OGC collection
-- reads bumps that table's counter once for each county whose rows it touched, so a
-- collection's version (gis/ogc/versions.py) changes with every commit that changes what
-- it serves. Statement-level triggers with transition tables: a COPY of 400,000 buildings
-- bumps once per county, not once per row.
--
-- The writing connection's slot: taken on its first bump with a session-level advisory
-- lock (key 'onemap change counters' = 19019, slot), held until it disconnects, so no two
-- live connections bump the same row and no writer waits for another's commit. Kept in a
-- session setting; should a rolled-back transaction forget it, the next bump takes the
-- same slot again (an advisory lock is re-entrant for the session holding it).
CREATE OR REPLACE FUNCTION change_counter_slot() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    kept text := current_setting('onemap.change_counter_slot', true);
    candidate integer := 0;
BEGIN
    IF kept <> '' THEN
        RETURN kept::integer;
    END IF;
    WHILE NOT pg_try_advisory_lock(19019, candidate) LOOP
        candidate := candidate + 1;
    END LOOP;
    PERFORM set_config('onemap.change_counter_slot', candidate::text, false);
    RETURN candidate;
END $$;

-- The trigger: which counties the statement touched (000000, every county, for a TRUNCATE
-- or a table without counties), then one bump each, at most once per transaction per
-- county and table (a transaction's second statement changes nothing another snapshot
-- can tell apart: both become visible at its commit).
CREATE OR REPLACE FUNCTION bump_change_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    counties text[];
    bumped text := coalesce(current_setting('onemap.changes_counted', true), '');
    has_counties boolean;
BEGIN
    has_counties := TG_OP <> 'TRUNCATE' AND EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = TG_RELID AND attname = 'county_code' AND NOT attisdropped);
    IF NOT has_counties THEN
        counties := ARRAY['000000'];
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE 'SELECT array_agg(DISTINCT county_code::text) FROM new_rows' INTO counties;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'SELECT array_agg(DISTINCT county_code::text) FROM old_rows' INTO counties;
    ELSE
        EXECUTE 'SELECT array_agg(DISTINCT county_code::text) FROM (SELECT county_code'
                ' FROM old_rows UNION ALL SELECT county_code FROM new_rows) AS touched'
            INTO counties;
    END IF;
    -- drop the counties this transaction already bumped for this table
    SELECT array_agg(county) INTO counties
    FROM unnest(counties) AS county
    WHERE county IS NOT NULL
      AND position(format(';%s/%s;', TG_TABLE_NAME, county) IN ';' || bumped) = 0;
    IF counties IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO change_counters AS c (county_code, table_name, slot, version)
    SELECT county, TG_TABLE_NAME, change_counter_slot(), 1 FROM unnest(counties) AS county
    ON CONFLICT (county_code, table_name, slot)
    DO UPDATE SET version = c.version + 1, changed_at = now();
    PERFORM set_config('onemap.changes_counted',
                       bumped || (SELECT string_agg(format('%s/%s;', TG_TABLE_NAME, county), '')
                                  FROM unnest(counties) AS county),
                       true);
    RETURN NULL;
END $$;

-- The tables the OGC collections read (gis/ogc/collections.py, Collection.tables; a test
-- holds the two lists together), four triggers each: a trigger with transition tables
-- answers one event.
CREATE OR REPLACE TRIGGER subdistricts_count_inserts AFTER INSERT ON subdistricts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER subdistricts_count_updates AFTER UPDATE ON subdistricts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER subdistricts_count_deletes AFTER DELETE ON subdistricts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER subdistricts_count_truncates AFTER TRUNCATE ON subdistricts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER communities_count_inserts AFTER INSERT ON communities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER communities_count_updates AFTER UPDATE ON communities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER communities_count_deletes AFTER DELETE ON communities
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER communities_count_truncates AFTER TRUNCATE ON communities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grids_count_inserts AFTER INSERT ON grids
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grids_count_updates AFTER UPDATE ON grids
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grids_count_deletes AFTER DELETE ON grids
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grids_count_truncates AFTER TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grid_statistics_count_inserts AFTER INSERT ON grid_statistics
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grid_statistics_count_updates AFTER UPDATE ON grid_statistics
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grid_statistics_count_deletes AFTER DELETE ON grid_statistics
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER grid_statistics_count_truncates AFTER TRUNCATE ON grid_statistics
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER compounds_count_inserts AFTER INSERT ON compounds
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER compounds_count_updates AFTER UPDATE ON compounds
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER compounds_count_deletes AFTER DELETE ON compounds
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER compounds_count_truncates AFTER TRUNCATE ON compounds
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER buildings_count_inserts AFTER INSERT ON buildings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER buildings_count_updates AFTER UPDATE ON buildings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER buildings_count_deletes AFTER DELETE ON buildings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER buildings_count_truncates AFTER TRUNCATE ON buildings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_centers_count_inserts AFTER INSERT ON service_centers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_centers_count_updates AFTER UPDATE ON service_centers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_centers_count_deletes AFTER DELETE ON service_centers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_centers_count_truncates AFTER TRUNCATE ON service_centers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_areas_count_inserts AFTER INSERT ON service_areas
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_areas_count_updates AFTER UPDATE ON service_areas
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_areas_count_deletes AFTER DELETE ON service_areas
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER service_areas_count_truncates AFTER TRUNCATE ON service_areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER walk_edges_count_inserts AFTER INSERT ON walk_edges
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER walk_edges_count_updates AFTER UPDATE ON walk_edges
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER walk_edges_count_deletes AFTER DELETE ON walk_edges
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER walk_edges_count_truncates AFTER TRUNCATE ON walk_edges
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER events_count_inserts AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER events_count_updates AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER events_count_deletes AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER events_count_truncates AFTER TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER event_categories_count_inserts AFTER INSERT ON event_categories
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER event_categories_count_updates AFTER UPDATE ON event_categories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER event_categories_count_deletes AFTER DELETE ON event_categories
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER event_categories_count_truncates AFTER TRUNCATE ON event_categories
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER departments_count_inserts AFTER INSERT ON departments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER departments_count_updates AFTER UPDATE ON departments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER departments_count_deletes AFTER DELETE ON departments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER departments_count_truncates AFTER TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_tracks_count_inserts AFTER INSERT ON patrol_tracks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_tracks_count_updates AFTER UPDATE ON patrol_tracks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_tracks_count_deletes AFTER DELETE ON patrol_tracks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_tracks_count_truncates AFTER TRUNCATE ON patrol_tracks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_teams_count_inserts AFTER INSERT ON patrol_teams
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_teams_count_updates AFTER UPDATE ON patrol_teams
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_teams_count_deletes AFTER DELETE ON patrol_teams
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_teams_count_truncates AFTER TRUNCATE ON patrol_teams
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_targets_count_inserts AFTER INSERT ON patrol_targets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_targets_count_updates AFTER UPDATE ON patrol_targets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_targets_count_deletes AFTER DELETE ON patrol_targets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrol_targets_count_truncates AFTER TRUNCATE ON patrol_targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrolled_targets_count_inserts AFTER INSERT ON patrolled_targets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrolled_targets_count_updates AFTER UPDATE ON patrolled_targets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrolled_targets_count_deletes AFTER DELETE ON patrolled_targets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER patrolled_targets_count_truncates AFTER TRUNCATE ON patrolled_targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER water_areas_count_inserts AFTER INSERT ON water_areas
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER water_areas_count_updates AFTER UPDATE ON water_areas
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER water_areas_count_deletes AFTER DELETE ON water_areas
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
CREATE OR REPLACE TRIGGER water_areas_count_truncates AFTER TRUNCATE ON water_areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters();
-- Each table's row of county 000000 at version 0, so that when its data last changed is
-- known before it first changes.
INSERT INTO change_counters (county_code, table_name, slot, version)
SELECT '000000', counted, 0, 0
FROM unnest(ARRAY[
    'subdistricts', 'communities', 'grids', 'grid_statistics', 'compounds', 'buildings',
    'service_centers', 'service_areas', 'walk_edges', 'events', 'event_categories',
    'departments', 'patrol_tracks', 'patrol_teams', 'patrol_targets', 'patrolled_targets',
    'water_areas'
]) AS counted
ON CONFLICT DO NOTHING;
