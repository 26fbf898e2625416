-- A service centre given without an id is the stored centre of the same level and name
-- in the same unit (county, subdistrict, community or compound), if there is one.
UPDATE import_staging s
SET key = m.center_id::text, matched = true
FROM (
    SELECT DISTINCT ON (s.ord) s.ord, c.center_id
    FROM import_staging s
    JOIN service_centers c
      ON c.level = s.attrs->>'level' AND c.name = s.name
     AND s.parent_code = CASE c.level
             WHEN 'district' THEN rtrim(c.county_code)
             WHEN 'subdistrict' THEN rtrim(c.subdistrict_code)
             WHEN 'community' THEN rtrim(c.community_code)
             ELSE c.compound_id::text
         END
    WHERE s.key IS NULL AND s.parent_code IS NOT NULL
    ORDER BY s.ord, c.center_id
) m
WHERE s.ord = m.ord
