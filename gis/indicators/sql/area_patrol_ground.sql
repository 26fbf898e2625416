-- Per area of a level, the buildings patrol targets hold in its grids and those a patrol
-- passed within R metres in the period: patrols/coverage_space.sql (ground, per grid,
-- whole months from the month sets, any other period from the tracks' chunks) summed
-- over the grids whose code the area's prefixes.
WITH areas AS ({areas}),
ground AS ({ground})
SELECT a.code, a.name,
       coalesce(sum(gr.buildings), 0) AS buildings,
       coalesce(sum(gr.buildings_patrolled), 0) AS buildings_patrolled
FROM areas AS a
LEFT JOIN ground AS gr (grid_code, buildings, buildings_patrolled, street_m,
                        street_m_patrolled, cells, cells_patrolled, last_at)
       ON left(gr.grid_code, {length}) = a.code
GROUP BY a.code, a.name
