-- A district's outline as the import stored it, made ready to ship: parts and holes
-- smaller than %(artefact_m2)s m² are dropped (on a source quantised to a lattice they
-- are where the ring doubled back on itself, not territory), and the rest is snapped to
-- a 10^-decimals degree grid by ST_ReducePrecision, which keeps it valid, so that its
-- GeoJSON at that many decimals is the geometry itself (validity is checked on the
-- GeoJSON read back).
WITH parts AS (
    SELECT dump.path[1] AS part_no, dump.geom AS part,
           ST_Area(dump.geom::geography) AS area_m2
    FROM districts, ST_Dump(districts.geom) AS dump
    WHERE county_code = %(county_code)s
), holes AS (
    SELECT p.part_no, ring.geom AS hole, ST_Area(ring.geom::geography) AS area_m2
    FROM parts p, ST_DumpRings(p.part) AS ring
    WHERE ring.path[1] > 0
), kept AS (
    SELECT ST_MakePolygon(
               ST_ExteriorRing(p.part),
               ARRAY(SELECT ST_ExteriorRing(h.hole) FROM holes h
                     WHERE h.part_no = p.part_no AND h.area_m2 >= %(artefact_m2)s)
           ) AS part
    FROM parts p
    WHERE p.area_m2 >= %(artefact_m2)s
), outline AS (
    SELECT ST_AsGeoJSON(
               ST_ReducePrecision(ST_CollectionHomogenize(ST_Collect(part)), 10 ^ -%(decimals)s),
               %(decimals)s
           ) AS geojson
    FROM kept
)
SELECT outline.geojson,
       ST_IsValid(ST_GeomFromGeoJSON(outline.geojson)) AS valid,
       ST_NPoints(ST_GeomFromGeoJSON(outline.geojson)) AS vertices,
       ST_Area(ST_GeomFromGeoJSON(outline.geojson)::geography) / 1e6 AS area_km2,
       (SELECT count(*) FROM parts WHERE area_m2 < %(artefact_m2)s) AS dropped_parts,
       (SELECT coalesce(sum(area_m2), 0) FROM parts WHERE area_m2 < %(artefact_m2)s)
           AS dropped_m2,
       (SELECT count(*) FROM holes WHERE area_m2 < %(artefact_m2)s) AS filled_holes,
       (SELECT coalesce(sum(area_m2), 0) FROM holes WHERE area_m2 < %(artefact_m2)s)
           AS filled_m2
FROM outline
