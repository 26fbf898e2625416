-- The proposed grids: the union of each region's blocks, its households, people,
-- buildings and blocks, its area and Polsby-Popper compactness (4πA/P², 1 for a disc),
-- and the centroid in metres (EPSG:4545) by which grids are numbered.
WITH labelled AS (
    SELECT block_id, region
    FROM unnest(%(block_ids)s::int[], %(regions)s::int[]) AS l (block_id, region)
),
shapes AS (
    SELECT l.region, ST_Multi(ST_Union(k.geom)) AS geom, count(*)::int AS blocks
    FROM labelled AS l
    JOIN delineation_blocks AS k USING (block_id)
    GROUP BY l.region
),
people AS (
    SELECT
        l.region,
        sum(b.households)::int AS households,
        sum(b.population)::int AS population,
        array_agg(b.building_code::text ORDER BY b.building_code) AS building_codes
    FROM labelled AS l
    JOIN delineation_buildings AS b USING (block_id)
    GROUP BY l.region
)
SELECT
    s.region,
    s.blocks,
    coalesce(p.households, 0) AS households,
    coalesce(p.population, 0) AS population,
    coalesce(p.building_codes, '{}') AS building_codes,
    ST_NumGeometries(s.geom) AS parts,
    ST_Area(s.geom::geography) AS area_m2,
    4 * pi() * ST_Area(s.geom::geography)
        / nullif(ST_Perimeter(s.geom::geography) ^ 2, 0) AS compactness,
    ST_X(ST_Transform(ST_Centroid(s.geom), 4545)) AS x,
    ST_Y(ST_Transform(ST_Centroid(s.geom), 4545)) AS y,
    ST_AsGeoJSON(s.geom, 7)::json AS geometry,
    ST_AsEWKB(s.geom) AS ewkb
FROM shapes AS s
LEFT JOIN people AS p USING (region)
ORDER BY s.region
