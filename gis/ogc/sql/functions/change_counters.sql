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
        EXECUTE 'SELECT array_agg(DISTINCT county_code::text) FROM'
                ' (SELECT county_code FROM old_rows UNION ALL SELECT county_code FROM new_rows) AS c'
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
-- holds the two lists together): four triggers each, as a trigger with transition tables
-- answers one event. Each table also gets a row of county 000000 at version 0, so the
-- time its data last changed is known even before it first changes.
DO $$
DECLARE
    counted text;
BEGIN
    FOREACH counted IN ARRAY ARRAY[
        'subdistricts', 'communities', 'grids', 'grid_statistics', 'compounds', 'buildings',
        'service_centers', 'service_areas', 'walk_edges', 'events', 'event_categories',
        'departments', 'patrol_tracks', 'patrol_teams', 'patrol_targets', 'patrolled_targets',
        'water_areas']
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %I'
                       ' REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters()',
                       counted || '_count_inserts', counted);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %I'
                       ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters()',
                       counted || '_count_updates', counted);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %I'
                       ' REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters()',
                       counted || '_count_deletes', counted);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counters()',
                       counted || '_count_truncates', counted);
        INSERT INTO change_counters (county_code, table_name, slot, version)
        VALUES ('000000', counted, 0, 0)
        ON CONFLICT DO NOTHING;
    END LOOP;
END $$;
