-- Buildings not wholly covered by one grid: the only candidates for "in no grid" and
-- "split between grids". The covered ones are found grid by grid — one index probe per
-- grid, and PostGIS prepares each grid's outline once for its many buildings — and set
-- aside with an anti-join, instead of probing the grids once per building.
CREATE TEMP TABLE audit_loose_buildings (
    building_code char(17) PRIMARY KEY,
    community_code char(12) NOT NULL,
    geom geometry NOT NULL
) ON COMMIT DROP;

-- When one community is audited, its buildings: those coded to it or lying in it (found
-- through the code index and the spatial index, not by testing every row). Empty when
-- everything is audited.
CREATE TEMP TABLE audit_buildings (building_code char(17) PRIMARY KEY) ON COMMIT DROP;

INSERT INTO audit_buildings
SELECT building_code FROM buildings
WHERE %(community)s::bpchar IS NOT NULL AND community_code = %(community)s::bpchar
UNION
SELECT b.building_code
FROM audit_communities AS c
JOIN buildings AS b ON ST_Intersects(c.geom, b.geom)
WHERE %(community)s::bpchar IS NOT NULL;

ANALYZE audit_buildings;

INSERT INTO audit_loose_buildings
WITH covered AS MATERIALIZED (
    SELECT inside.building_code
    FROM audit_grids AS g
    JOIN buildings AS inside ON ST_Covers(g.geom, inside.geom)
    -- for one community, only grids near it: a building coded to it but lying far away
    -- is then merely a candidate, and the exact checks that follow clear it
    WHERE %(community)s::bpchar IS NULL
       OR g.in_scope
       OR EXISTS (SELECT FROM audit_communities AS c WHERE c.geom && g.geom)
)
-- Outlines repaired like the grids', so an invalid footprint cannot abort the checks.
SELECT b.building_code, b.community_code,
       CASE WHEN ST_IsValid(b.geom) THEN b.geom ELSE ST_MakeValid(b.geom) END
FROM buildings AS b
WHERE (%(community)s::bpchar IS NULL
       OR b.building_code IN (SELECT building_code FROM audit_buildings))
  AND NOT EXISTS (SELECT FROM covered WHERE covered.building_code = b.building_code);

CREATE INDEX ON audit_loose_buildings USING gist (geom);

ANALYZE audit_loose_buildings;
