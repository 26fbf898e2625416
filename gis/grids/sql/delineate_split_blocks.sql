-- A block holding more households than a grid may (a large estate with no street through
-- it, or a community without streets at all) is divided below street level: into the
-- Voronoi cells of its buildings' points, clipped to the block, so each piece holds one
-- building (or the buildings that share a point) and pieces can be grouped into grids.
-- A piece that a concave block cuts in two stays two blocks.
WITH oversized AS (
    SELECT k.block_id, k.geom, ST_Collect(b.point ORDER BY b.building_code) AS points
    FROM delineation_blocks AS k
    JOIN delineation_buildings AS b USING (block_id)
    GROUP BY k.block_id, k.geom
    HAVING sum(b.households) > %(max_households)s
       AND count(DISTINCT ST_AsBinary(b.point)) > 1
),
pieces AS (
    SELECT o.block_id AS parent_id, piece.geom
    FROM oversized AS o
    CROSS JOIN LATERAL ST_Dump(ST_VoronoiPolygons(o.points, 0.0, o.geom)) AS cell
    CROSS JOIN LATERAL ST_Dump(
        ST_CollectionExtract(ST_Intersection(cell.geom, o.geom), 3)
    ) AS piece
    WHERE NOT ST_IsEmpty(piece.geom) AND ST_Area(piece.geom) > 0
),
removed AS (
    DELETE FROM delineation_blocks
    WHERE block_id IN (SELECT block_id FROM oversized)
    RETURNING block_id
)
INSERT INTO delineation_blocks (block_id, geom)
SELECT
    (SELECT coalesce(max(block_id), 0) FROM delineation_blocks)
    + (row_number() OVER (
        ORDER BY parent_id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
    ))::int,
    geom
FROM pieces
WHERE (SELECT count(*) FROM removed) > 0
