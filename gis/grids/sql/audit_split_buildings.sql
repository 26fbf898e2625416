-- Buildings split between grids: two or more grids each hold more than the area tolerance
-- of the building. Each share is that grid's part of the building's area (they sum to
-- less than 1 when part of the building lies in no grid); counted_in is the grid whose
-- statistics count the building (lowest code holding its point on surface), or null.
WITH pieces AS (
    SELECT b.building_code, b.community_code, b.geom, g.grid_code,
           ST_Area(ST_Intersection(b.geom, g.geom)::geography) AS area_m2
    FROM audit_loose_buildings AS b
    JOIN audit_grids AS g ON ST_Intersects(g.geom, b.geom)
),
split AS (
    SELECT building_code, community_code, geom,
           json_agg(json_build_object(
               'grid_code', rtrim(grid_code),
               'area_m2', round(area_m2::numeric, 2),
               'share', round((area_m2 / nullif(ST_Area(geom::geography), 0))::numeric, 4))
           ORDER BY grid_code) AS shares
    FROM pieces
    WHERE area_m2 > %(tolerance_m2)s
    GROUP BY building_code, community_code, geom
    HAVING count(*) >= 2
)
SELECT coalesce(json_agg(json_build_object(
           'building_code', rtrim(building_code),
           'community_code', rtrim(community_code),
           'counted_in', (
               SELECT rtrim(g.grid_code) FROM grids AS g
               WHERE ST_Intersects(g.geom, ST_PointOnSurface(split.geom))
               ORDER BY g.grid_code LIMIT 1),
           'area_m2', round(ST_Area(geom::geography)::numeric, 2),
           'shares', shares,
           'geometry', ST_AsGeoJSON(geom, %(decimals)s)::json)
       ORDER BY building_code), '[]'::json)
FROM split
