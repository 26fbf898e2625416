-- The ancestors of the place whose code is the given text expression: rows (code, level,
-- name). Codes nest by prefix, so each ancestor is a primary-key lookup on a prefix; the
-- casts to char(n) keep the comparison bpchar = bpchar, which the primary key serves.
SELECT county_code::text, 'county', name
FROM districts
WHERE length({code}) > 6 AND county_code = left({code}, 6)::char(6)
UNION ALL
SELECT subdistrict_code::text, 'township', name
FROM subdistricts
WHERE length({code}) > 9 AND subdistrict_code = left({code}, 9)::char(9)
UNION ALL
SELECT community_code::text, 'community', name
FROM communities
WHERE length({code}) > 12 AND community_code = left({code}, 12)::char(12)
UNION ALL
-- only a unit (19 digits) has a building above it; grids (15) sit beside buildings
SELECT building_code::text, 'building', name
FROM buildings
WHERE length({code}) > 17 AND building_code = left({code}, 17)::char(17)
