-- --repair: ST_MakeValid, keeping the polygonal parts only (a self-intersecting ring
-- can come back as polygons plus stray lines or points).
UPDATE import_staging
SET repaired_from = ST_IsValidReason(geom),
    geom = ST_CollectionExtract(ST_MakeValid(geom), 3)
WHERE geometry_problem IS NULL AND geom IS NOT NULL AND NOT ST_IsValid(geom)
RETURNING ord, repaired_from, ST_IsEmpty(geom) AS emptied
