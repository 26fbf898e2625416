-- Rook contiguity between blocks, measured in PostGIS: two blocks are neighbours when
-- they share at least %(min_shared_m)s metres of boundary. Blocks meeting only at a corner
-- are not, so a grid grown over neighbours is one polygon. The boundary is compared with
-- the neighbour grown by a centimetre, which tolerates the floating-point noise of
-- boundaries that were cut (clipped streets, Voronoi pieces) rather than shared.
SELECT a.block_id AS a, b.block_id AS b
FROM delineation_blocks AS a
JOIN delineation_blocks AS b
    ON a.block_id < b.block_id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
WHERE ST_Length(
    ST_Intersection(ST_Boundary(a.geom), ST_Buffer(b.geom, 1e-7, 'quad_segs=1'))::geography
) >= %(min_shared_m)s
ORDER BY a.block_id, b.block_id
