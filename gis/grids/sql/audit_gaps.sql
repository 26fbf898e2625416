-- Gaps: ground of an audited community that no grid covers (of any community), each
-- separate piece above the area tolerance, with its area on the spheroid.
WITH coverage AS (
    SELECT c.community_code, c.geom, ST_Union(g.geom) AS grids_geom
    FROM audit_communities AS c
    LEFT JOIN audit_grids AS g ON ST_Intersects(g.geom, c.geom)
    GROUP BY c.community_code, c.geom
),
pieces AS (
    SELECT community_code,
           (ST_Dump(ST_CollectionExtract(
               CASE WHEN grids_geom IS NULL THEN geom ELSE ST_Difference(geom, grids_geom) END,
               3))).geom AS geom
    FROM coverage
),
measured AS (
    SELECT community_code, geom, ST_Area(geom::geography) AS area_m2 FROM pieces
)
SELECT coalesce(json_agg(json_build_object(
           'community_code', rtrim(community_code),
           'area_m2', round(area_m2::numeric, 2),
           'geometry', ST_AsGeoJSON(geom, %(decimals)s)::json)
       ORDER BY community_code, area_m2 DESC), '[]'::json)
FROM measured
WHERE area_m2 > %(tolerance_m2)s
