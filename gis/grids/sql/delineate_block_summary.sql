-- Each block's households, people and buildings, and its centroid in metres (EPSG:4545,
-- CGCS2000 3-degree Gauss-Kruger CM 108E) for the regionalisation's compactness.
SELECT
    k.block_id,
    coalesce(sum(b.households), 0)::int AS households,
    coalesce(sum(b.population), 0)::int AS population,
    count(b.building_code)::int AS buildings,
    ST_X(ST_Transform(ST_Centroid(k.geom), 4545)) AS x,
    ST_Y(ST_Transform(ST_Centroid(k.geom), 4545)) AS y
FROM delineation_blocks AS k
LEFT JOIN delineation_buildings AS b USING (block_id)
GROUP BY k.block_id, k.geom
ORDER BY k.block_id
