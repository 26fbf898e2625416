-- Siting (gis/access/siting.py), what is to be served and where from. Parameters:
-- minutes, scope (a code prefix, '' for all), levels (centre levels whose areas count;
-- NULL all), candidate_codes (building codes; NULL: the buildings in scope of the
-- candidate_uses), reach_m (the walk's length plus the band: no site reaches further as the
-- crow flies). Temporary tables, dropped when siting rolls back.
DROP TABLE IF EXISTS pg_temp.siting_demand, pg_temp.siting_candidates;

-- Demand: buildings with households in scope that no existing centre's area reaches.
CREATE TEMP TABLE siting_demand AS
SELECT (row_number() OVER (ORDER BY b.building_code) - 1)::int AS j,
       b.building_code, b.households, b.population, b.point
FROM buildings AS b
WHERE b.community_code LIKE %(scope)s || '%%'
  AND b.households > 0
  AND NOT EXISTS (
      SELECT 1 FROM service_areas AS a
      JOIN service_centers AS c USING (center_id)
      WHERE a.minutes = %(minutes)s
        AND (%(levels)s::text[] IS NULL OR c.level = ANY (%(levels)s::text[]))
        AND ST_Intersects(a.geom, b.point));
CREATE INDEX ON siting_demand USING gist (point);
ANALYZE siting_demand;

-- Candidates: the chosen buildings, or those of the candidate uses in scope, less
-- those with no uncovered household within reach even as the crow flies.
CREATE TEMP TABLE siting_candidates AS
SELECT (row_number() OVER (ORDER BY b.building_code) - 1)::int AS i,
       b.building_code, b.name, b.community_code, b.county_code, b.building_use, b.point,
       EXISTS (SELECT 1 FROM siting_demand AS d
               -- the box through the index first (a degree of longitude is the shorter)
               WHERE d.point && ST_Expand(b.point,
                         %(reach_m)s / (111320 * cos(radians(ST_Y(b.point)))))
                 AND ST_DWithin(d.point::geography, b.point::geography, %(reach_m)s))
           AS promising
FROM buildings AS b
WHERE CASE WHEN %(candidate_codes)s::text[] IS NULL
           THEN b.community_code LIKE %(scope)s || '%%'
                AND b.building_use = ANY (%(candidate_uses)s::text[])
           ELSE b.building_code = ANY (%(candidate_codes)s::text[]) END;
