-- The legacy grids, loaded raw into crosswalk_legacy_raw by COPY, made valid (an old
-- system's hand-drawn polygons often self-intersect) and kept as multipolygons. Lives
-- only in this session's transaction.
CREATE TEMP TABLE crosswalk_legacy ON COMMIT DROP AS
SELECT
    legacy_id,
    ordinal,
    ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) AS geom,
    NOT ST_IsValid(geom) AS repaired
FROM crosswalk_legacy_raw
