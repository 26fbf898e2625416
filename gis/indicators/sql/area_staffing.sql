-- Per area of a level, its households (grid_statistics) and the grid members (网格员)
-- on record for its grids (grids.members), summed over the grids whose code it prefixes.
WITH areas AS ({areas})
SELECT a.code, a.name,
       coalesce(sum(s.households), 0) AS households,
       coalesce(sum(g.members), 0) AS members
FROM areas AS a
LEFT JOIN grids AS g ON left(g.grid_code, {length}) = a.code
LEFT JOIN grid_statistics AS s ON s.grid_code = g.grid_code
GROUP BY a.code, a.name
