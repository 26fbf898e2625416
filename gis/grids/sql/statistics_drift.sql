-- Grids whose stored statistics differ from a fresh count, placed building by building
-- (the lowest-coded grid holding the point on surface) — a formulation independent of
-- the triggers' set-based paths, to check them. Empty when the statistics are current.
WITH placed_buildings AS (
    SELECT placement.grid_code, count(*) AS buildings,
           sum(b.households) AS households, sum(b.population) AS population
    FROM buildings AS b
    CROSS JOIN LATERAL (
        SELECT g.grid_code FROM grids AS g
        WHERE ST_Intersects(g.geom, ST_PointOnSurface(b.geom))
        ORDER BY g.grid_code LIMIT 1
    ) AS placement
    GROUP BY placement.grid_code
),
placed_compounds AS (
    SELECT placement.grid_code, count(*) AS compounds
    FROM compounds AS c
    CROSS JOIN LATERAL (
        SELECT g.grid_code FROM grids AS g
        WHERE ST_Intersects(g.geom, ST_PointOnSurface(c.geom))
        ORDER BY g.grid_code LIMIT 1
    ) AS placement
    GROUP BY placement.grid_code
),
fresh AS (
    SELECT g.grid_code,
           coalesce(pb.households, 0)::integer AS households,
           coalesce(pb.population, 0)::integer AS population,
           coalesce(pb.buildings, 0)::integer AS buildings,
           coalesce(pc.compounds, 0)::integer AS compounds
    FROM grids AS g
    LEFT JOIN placed_buildings AS pb USING (grid_code)
    LEFT JOIN placed_compounds AS pc USING (grid_code)
)
SELECT rtrim(fresh.grid_code),
       json_build_object('households', s.households, 'population', s.population,
                         'buildings', s.buildings, 'compounds', s.compounds) AS stored,
       json_build_object('households', fresh.households, 'population', fresh.population,
                         'buildings', fresh.buildings, 'compounds', fresh.compounds) AS counted
FROM fresh
LEFT JOIN grid_statistics AS s USING (grid_code)
WHERE (s.households, s.population, s.buildings, s.compounds)
      IS DISTINCT FROM (fresh.households, fresh.population, fresh.buildings, fresh.compounds)
ORDER BY fresh.grid_code
