-- Each building goes to the block holding its point on surface (a point that is inside
-- the footprint, unlike a centroid); a point on the line between two blocks goes to the
-- lower block id, so the assignment never depends on the join order.
CREATE TEMP TABLE delineation_buildings ON COMMIT DROP AS
SELECT DISTINCT ON (b.building_code)
    b.building_code,
    k.block_id,
    b.households,
    b.population,
    ST_PointOnSurface(b.geom) AS point
FROM delineation_blocks AS k
JOIN buildings AS b
    ON b.geom && k.geom AND ST_Intersects(k.geom, ST_PointOnSurface(b.geom))
ORDER BY b.building_code, k.block_id
