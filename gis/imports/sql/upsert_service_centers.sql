-- The unit a centre belongs to fills its chain of codes (a compound's centre takes the
-- compound's community). Rooms and opening date the file leaves out keep stored values.
WITH chain AS (
    SELECT s.key, s.name, s.attrs, s.geom, s.attrs->>'level' AS level,
           CASE WHEN s.parent_table = 'compounds' THEN rtrim(c.community_code)
                ELSE s.parent_code END AS place_code,
           c.compound_id
    FROM import_staging s
    LEFT JOIN compounds c
      ON s.parent_table = 'compounds' AND c.compound_id::text = s.parent_code
), centre AS (
    SELECT key, name, attrs, geom, level, compound_id,
           left(place_code, 6) AS county_code,
           CASE WHEN length(place_code) >= 9 THEN left(place_code, 9) END AS subdistrict_code,
           CASE WHEN length(place_code) >= 12 THEN left(place_code, 12) END AS community_code,
           CASE WHEN attrs ? 'rooms'
                THEN ARRAY(SELECT jsonb_array_elements_text(attrs->'rooms')) END AS rooms
    FROM chain
), updated AS (
    UPDATE service_centers t
    SET county_code = c.county_code, subdistrict_code = c.subdistrict_code,
        community_code = c.community_code, compound_id = c.compound_id,
        name = c.name, level = c.level,
        area_m2 = (c.attrs->>'area_m2')::numeric,
        rooms = coalesce(c.rooms, t.rooms),
        opened_on = coalesce((c.attrs->>'opened_on')::date, t.opened_on),
        geom = c.geom
    FROM centre c
    WHERE c.key IS NOT NULL AND t.center_id = c.key::bigint
    RETURNING 1
), inserted AS (
    INSERT INTO service_centers (county_code, subdistrict_code, community_code, compound_id,
                                 name, level, area_m2, rooms, opened_on, geom)
    SELECT county_code, subdistrict_code, community_code, compound_id, name, level,
           (attrs->>'area_m2')::numeric, coalesce(rooms, '{}'), (attrs->>'opened_on')::date,
           geom
    FROM centre
    WHERE key IS NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
