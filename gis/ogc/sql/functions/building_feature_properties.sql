-- Each building keeps its properties as a page of the features API serves them
-- (migration 0022): the JSON text of the collection's properties (gis/ogc/collections.py,
-- "buildings"), key for key and in the same order, so that a page reads the text instead
-- of building it for every row it serves. A test holds it equal to what the features API
-- would build, row for row, and after every kind of write.
CREATE OR REPLACE FUNCTION building_feature_properties(building buildings) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'building_code', rtrim(building.building_code),
        'community_code', rtrim(building.community_code),
        'county_code', rtrim(building.county_code),
        'compound_id', building.compound_id,
        'name', building.name,
        'building_use', building.building_use,
        'floors', building.floors,
        'units', building.units,
        'households', building.households,
        'population', building.population
    )::text
$$;

-- Written with every row written: an INSERT, a COPY, an UPDATE of any column (the text
-- is a few hundred bytes; telling which columns changed would cost about as much).
CREATE OR REPLACE FUNCTION keep_building_feature_properties() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.feature_properties := building_feature_properties(NEW);
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER building_feature_properties BEFORE INSERT OR UPDATE ON buildings
    FOR EACH ROW EXECUTE FUNCTION keep_building_feature_properties();

-- The rows written before this file was applied, or under an earlier text of it: when
-- the properties change, every building's text changes with them. Rows already right are
-- left alone (no write, no trigger).
UPDATE buildings SET feature_properties = building_feature_properties(buildings)
WHERE feature_properties IS DISTINCT FROM building_feature_properties(buildings);
