-- The teams of the grids whose code starts with a prefix (one grid, or a community's or
-- subdistrict's): grids, grid leaders 网格长, instructors 网格指导员 and members 网格员 on
-- record, and the signed-in grid members serving those grids (people, role grid_member,
-- not disabled) with the grids each serves there.
SELECT count(*) AS grids,
       coalesce(sum(g.leaders), 0) AS leaders,
       coalesce(sum(g.instructors), 0) AS instructors,
       coalesce(sum(g.members), 0) AS members,
       (SELECT coalesce(json_agg(json_build_object('name', p.name, 'grids', p.grids)
                                 ORDER BY p.name), '[]'::json)
        FROM (SELECT pe.name, array_agg(rtrim(pg.grid_code) ORDER BY pg.grid_code) AS grids
              FROM person_grids AS pg
              JOIN people AS pe USING (person_id)
              WHERE pg.grid_code LIKE %(prefix)s || '%%'
                AND pe.role = 'grid_member' AND pe.disabled_at IS NULL
              GROUP BY pe.person_id, pe.name) AS p) AS people
FROM grids AS g
WHERE g.grid_code LIKE %(prefix)s || '%%'
