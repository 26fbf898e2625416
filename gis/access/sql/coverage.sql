-- Coverage: of the buildings (households, residents) in scope, how many lie in at least
-- one service area of the given minutes, per community, subdistrict or county. A building
-- counts where its point lies (buildings.point). Parameters: minutes, group_by
-- ('community' | 'subdistrict' | 'county'), scope (a code prefix: county, subdistrict or
-- community code; '' for everything), levels (centre levels whose areas count; NULL: all).
WITH scoped AS (
    SELECT b.building_code, b.households, b.population,
           CASE %(group_by)s
               WHEN 'community' THEN b.community_code::text
               WHEN 'subdistrict' THEN left(b.community_code, 9)
               ELSE b.county_code::text
           END AS code
    FROM buildings AS b
    WHERE b.community_code LIKE %(scope)s || '%%'
),
-- Driven by the areas: each area's prepared polygon answers for the points its box holds
-- (buildings_point_idx); the buildings table itself, so the index is there to use.
covered AS (
    SELECT DISTINCT b.building_code
    FROM service_areas AS a
    JOIN service_centers AS c USING (center_id)
    JOIN buildings AS b ON ST_Intersects(a.geom, b.point)
    WHERE a.minutes = %(minutes)s
      AND (%(levels)s::text[] IS NULL OR c.level = ANY (%(levels)s::text[]))
      AND b.community_code LIKE %(scope)s || '%%'
),
per_group AS (
    SELECT s.code,
           count(*) AS buildings,
           coalesce(sum(s.households), 0) AS households,
           coalesce(sum(s.population), 0) AS population,
           count(c.building_code) AS covered_buildings,
           coalesce(sum(s.households) FILTER (WHERE c.building_code IS NOT NULL), 0)
               AS covered_households,
           coalesce(sum(s.population) FILTER (WHERE c.building_code IS NOT NULL), 0)
               AS covered_population
    FROM scoped AS s
    LEFT JOIN covered AS c USING (building_code)
    GROUP BY s.code
)
SELECT g.code, coalesce(cm.name, sd.name, d.name) AS name, g.buildings, g.households,
       g.population, g.covered_buildings, g.covered_households, g.covered_population
FROM per_group AS g
LEFT JOIN communities AS cm ON %(group_by)s = 'community' AND cm.community_code = g.code
LEFT JOIN subdistricts AS sd ON %(group_by)s = 'subdistrict' AND sd.subdistrict_code = g.code
LEFT JOIN districts AS d ON %(group_by)s = 'county' AND d.county_code = g.code
ORDER BY g.code;
