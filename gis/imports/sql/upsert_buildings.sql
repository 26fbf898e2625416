-- Fields the file leaves out keep their stored values (new buildings: residential,
-- 1 unit, no households or residents recorded).
WITH updated AS (
    UPDATE buildings b
    SET compound_id = coalesce((s.attrs->>'compound_id')::bigint, b.compound_id),
        name = coalesce(s.name, b.name),
        building_use = coalesce(s.attrs->>'building_use', b.building_use),
        floors = (s.attrs->>'floors')::smallint,
        units = coalesce((s.attrs->>'units')::smallint, b.units),
        households = coalesce((s.attrs->>'households')::integer, b.households),
        population = coalesce((s.attrs->>'population')::integer, b.population),
        geom = s.geom
    FROM import_staging s
    WHERE b.building_code = s.key::bpchar
    RETURNING 1
), inserted AS (
    INSERT INTO buildings (building_code, community_code, county_code, compound_id, name,
                           building_use, floors, units, households, population, geom)
    SELECT s.key, left(s.key, 12), left(s.key, 6), (s.attrs->>'compound_id')::bigint, s.name,
           coalesce(s.attrs->>'building_use', 'residential'),
           (s.attrs->>'floors')::smallint,
           coalesce((s.attrs->>'units')::smallint, 1),
           coalesce((s.attrs->>'households')::integer, 0),
           coalesce((s.attrs->>'population')::integer, 0),
           s.geom
    FROM import_staging s
    WHERE NOT EXISTS (SELECT 1 FROM buildings b WHERE b.building_code = s.key::bpchar)
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
