-- Every service centre in scope against its level's standard (gis/access/standards.py):
-- the floor area required, the households of the compound a compound centre serves,
-- the shortfall in m², and which of the four basic rooms of "4+X" it lacks.
-- Parameters: scope (a code prefix, '' for all), level (NULL for all), community_area,
-- compound_area, compound_area_per_100_households, basic_rooms (text[], in order).
WITH compound_households AS (
    -- one pass over the buildings, not one per centre
    SELECT compound_id, sum(households) AS households
    FROM buildings
    WHERE compound_id IS NOT NULL
    GROUP BY compound_id
),
judged AS (
    SELECT c.center_id, c.name, c.level, c.county_code, c.subdistrict_code,
           c.community_code, c.compound_id, c.area_m2, c.rooms, c.geom,
           CASE WHEN c.level = 'compound' THEN coalesce(h.households, 0) END AS households,
           CASE c.level
               WHEN 'community' THEN %(community_area)s::numeric
               WHEN 'compound' THEN round(greatest(
                   %(compound_area)s::numeric,
                   %(compound_area_per_100_households)s::numeric
                       * coalesce(h.households, 0) / 100.0), 1)
           END AS required_m2
    FROM service_centers AS c
    LEFT JOIN compound_households AS h ON h.compound_id = c.compound_id
    WHERE coalesce(c.community_code, c.subdistrict_code, c.county_code) LIKE %(scope)s || '%%'
      AND (%(level)s::text IS NULL OR c.level = %(level)s::text)
)
SELECT j.center_id, j.name, j.level, j.county_code, j.subdistrict_code, j.community_code,
       j.compound_id, j.area_m2, j.required_m2, j.households,
       greatest(0, coalesce(j.required_m2 - j.area_m2, 0)) AS shortfall_m2,
       ARRAY(SELECT room FROM unnest(%(basic_rooms)s::text[]) WITH ORDINALITY AS r(room, position)
             WHERE room <> ALL (j.rooms) ORDER BY position) AS missing_rooms,
       j.rooms, ST_X(j.geom), ST_Y(j.geom)
FROM judged AS j
ORDER BY j.center_id;
