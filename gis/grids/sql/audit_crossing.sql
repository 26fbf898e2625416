-- Grids reaching outside the community their code names: the part outside, its area and
-- share of the grid, and the communities that part lies in (none: outside every one).
-- A share of 1 means the grid lies wholly in another community than its code says.
WITH outside AS (
    SELECT g.grid_code, g.community_code, g.geom AS grid_geom,
           ST_CollectionExtract(ST_Difference(g.geom, c.geom), 3) AS geom
    FROM audit_grids AS g
    JOIN audit_communities AS c USING (community_code)
    WHERE g.in_scope AND NOT ST_CoveredBy(g.geom, c.geom)
),
measured AS (
    SELECT outside.*, ST_Area(geom::geography) AS area_m2,
           ST_Area(grid_geom::geography) AS grid_area_m2
    FROM outside
)
SELECT coalesce(json_agg(json_build_object(
           'grid_code', rtrim(grid_code),
           'community_code', rtrim(community_code),
           'area_m2', round(area_m2::numeric, 2),
           'share', round((area_m2 / nullif(grid_area_m2, 0))::numeric, 4),
           'entered_community_codes', (
               SELECT coalesce(json_agg(rtrim(o.community_code) ORDER BY o.community_code),
                               '[]'::json)
               FROM communities AS o
               WHERE o.community_code <> measured.community_code
                 AND o.geom && measured.geom
                 AND ST_Relate(o.geom, measured.geom, '2********')),
           'geometry', ST_AsGeoJSON(geom, %(decimals)s)::json)
       ORDER BY grid_code), '[]'::json)
FROM measured
WHERE area_m2 > %(tolerance_m2)s
