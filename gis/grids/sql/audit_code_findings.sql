-- Where the grids with code problems are: area of the (repaired) outline and a point.
SELECT rtrim(grid_code), round(ST_Area(geom::geography)::numeric, 2),
       ST_AsGeoJSON(ST_PointOnSurface(geom), %(decimals)s)::json
FROM audit_grids
WHERE grid_code = ANY (%(grid_codes)s::bpchar[])
