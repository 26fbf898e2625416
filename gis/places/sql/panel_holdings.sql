-- What the grids under a code prefix hold (grid_statistics): households, residents,
-- buildings and compounds placed in them.
SELECT coalesce(sum(s.households), 0) AS households,
       coalesce(sum(s.population), 0) AS residents,
       coalesce(sum(s.buildings), 0) AS buildings,
       coalesce(sum(s.compounds), 0) AS compounds
FROM grid_statistics AS s
WHERE s.grid_code LIKE %(prefix)s || '%%'
