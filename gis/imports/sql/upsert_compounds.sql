-- Matched compounds (by id, or by name within the community) are updated; fields the
-- file leaves out keep their stored values. A new 三无小区 has no property manager.
WITH updated AS (
    UPDATE compounds c
    SET community_code = s.parent_code,
        county_code = left(s.parent_code, 6),
        name = s.name,
        compound_type = s.attrs->>'compound_type',
        built_year = coalesce((s.attrs->>'built_year')::smallint, c.built_year),
        has_property_manager =
            coalesce((s.attrs->>'has_property_manager')::boolean, c.has_property_manager),
        geom = s.geom
    FROM import_staging s
    WHERE s.key IS NOT NULL AND c.compound_id = s.key::bigint
    RETURNING 1
), inserted AS (
    INSERT INTO compounds (community_code, county_code, name, compound_type, built_year,
                           has_property_manager, geom)
    SELECT s.parent_code, left(s.parent_code, 6), s.name, s.attrs->>'compound_type',
           (s.attrs->>'built_year')::smallint,
           coalesce((s.attrs->>'has_property_manager')::boolean,
                    s.attrs->>'compound_type' <> 'old_unmanaged'),
           s.geom
    FROM import_staging s
    WHERE s.key IS NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
