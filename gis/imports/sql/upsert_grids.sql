-- Team sizes the file leaves out keep their stored values (new grids: 1 leader,
-- 1 instructor, 0 members); type and dedicated kind always follow the code.
WITH updated AS (
    UPDATE grids g
    SET name = s.name,
        grid_type = s.attrs->>'grid_type',
        dedicated_kind = s.attrs->>'dedicated_kind',
        leaders = coalesce((s.attrs->>'leaders')::smallint, g.leaders),
        instructors = coalesce((s.attrs->>'instructors')::smallint, g.instructors),
        members = coalesce((s.attrs->>'members')::smallint, g.members),
        geom = s.geom
    FROM import_staging s
    WHERE g.grid_code = s.key::bpchar
    RETURNING 1
), inserted AS (
    INSERT INTO grids (grid_code, community_code, county_code, name, grid_type, dedicated_kind,
                       leaders, instructors, members, geom)
    SELECT s.key, left(s.key, 12), left(s.key, 6), s.name, s.attrs->>'grid_type',
           s.attrs->>'dedicated_kind',
           coalesce((s.attrs->>'leaders')::smallint, 1),
           coalesce((s.attrs->>'instructors')::smallint, 1),
           coalesce((s.attrs->>'members')::smallint, 0),
           s.geom
    FROM import_staging s
    WHERE NOT EXISTS (SELECT 1 FROM grids g WHERE g.grid_code = s.key::bpchar)
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
