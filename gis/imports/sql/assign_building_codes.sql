-- Codes for new buildings: community code + the next 5-digit serial after the highest
-- one in use (stored or in this file), in file order. Serials of demolished buildings
-- are never handed out again, so an old code in a record never names a new building.
WITH highest AS (
    SELECT community_code, max(serial) AS serial
    FROM (
        SELECT rtrim(community_code) AS community_code, right(building_code, 5)::int AS serial
        FROM buildings
        WHERE community_code IN (SELECT parent_code::bpchar FROM import_staging)
        UNION ALL
        SELECT left(key, 12), right(key, 5)::int
        FROM import_staging
        WHERE key IS NOT NULL
    ) used
    GROUP BY community_code
), numbered AS (
    SELECT s.ord, s.parent_code,
           coalesce(h.serial, 0)
           + row_number() OVER (PARTITION BY s.parent_code ORDER BY s.ord) AS serial
    FROM import_staging s
    LEFT JOIN highest h ON h.community_code = s.parent_code
    WHERE s.key IS NULL AND s.parent_code IS NOT NULL
      AND s.geometry_problem IS NULL AND s.geom IS NOT NULL
)
UPDATE import_staging s
SET key = CASE WHEN n.serial <= 99999 THEN n.parent_code || lpad(n.serial::text, 5, '0') END,
    assigned = n.serial <= 99999
FROM numbered n
WHERE s.ord = n.ord
RETURNING s.ord, s.key, n.parent_code
