-- Rebuild what can be patrolled in a county from its places: each building (its footprint),
-- each street cut into equal segments of at most 50 m (probed at the midpoint) and each
-- cell of a 50 m lattice in EPSG:4545 whose centre lies in a grid (probed at the centre).
-- A target counts in the grid holding its probe point (a building: ST_PointOnSurface), the
-- lowest code where grids share an edge, as events are placed. The month sets counted
-- against the old targets go with them: recount with refresh_patrol_coverage(county, NULL,
-- true).
CREATE OR REPLACE FUNCTION refresh_patrol_targets(p_county bpchar)
RETURNS TABLE (buildings integer, street_segments integer, cells integer)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    n_buildings integer;
    n_segments integer;
    n_cells integer;
BEGIN
    -- the same lock as refresh_patrol_coverage: never count against half-built targets
    PERFORM pg_advisory_xact_lock(hashtextextended('refresh_patrol_coverage', 14));
    -- half a million cells are sorted to keep one per lattice position
    SET LOCAL work_mem = '64MB';
    DELETE FROM patrolled_targets AS p WHERE p.county_code = p_county;
    DELETE FROM patrol_targets AS t WHERE t.county_code = p_county;
    -- half a million rows go in faster without their indexes, built again at the end
    -- (the same indexes migration 0017 makes)
    DROP INDEX IF EXISTS patrol_targets_probe_idx, patrol_targets_geom_idx,
        patrol_targets_grid_idx;

    -- the grids cut into small pieces: a point is placed by testing a few dozen vertices,
    -- not a village grid's thousands
    DROP TABLE IF EXISTS pg_temp.patrol_grid_pieces;
    CREATE TEMP TABLE patrol_grid_pieces ON COMMIT DROP AS
    SELECT gr.grid_code, ST_Subdivide(ST_Transform(gr.geom, 4545), 32) AS piece
    FROM grids AS gr WHERE gr.county_code = p_county;
    CREATE INDEX ON patrol_grid_pieces USING gist (piece);
    ANALYZE patrol_grid_pieces;

    INSERT INTO patrol_targets (county_code, kind, ref, grid_code, probe_4545)
    SELECT b.county_code, 'building', rtrim(b.building_code), g.grid_code, b.footprint
    FROM (SELECT bu.county_code, bu.building_code, ST_Transform(bu.geom, 4545) AS footprint
          FROM buildings AS bu WHERE bu.county_code = p_county) AS b
    CROSS JOIN LATERAL (
        SELECT p.grid_code FROM patrol_grid_pieces AS p
        WHERE ST_Intersects(p.piece, ST_PointOnSurface(b.footprint))
        ORDER BY p.grid_code LIMIT 1) AS g;
    GET DIAGNOSTICS n_buildings = ROW_COUNT;

    INSERT INTO patrol_targets (county_code, kind, ref, grid_code, length_m, probe_4545, geom)
    SELECT s.county_code, 'street', format('street %s segment %s', s.street_id, k.k),
           g.grid_code, ST_Length(k.segment), k.midpoint, ST_Transform(k.segment, 4326)
    FROM streets AS s
    CROSS JOIN LATERAL (SELECT ST_Transform(s.geom, 4545) AS line) AS m
    CROSS JOIN LATERAL (SELECT ceil(ST_Length(m.line) / 50)::integer AS n) AS n
    CROSS JOIN LATERAL (
        SELECT i AS k, sub.segment, ST_LineInterpolatePoint(sub.segment, 0.5) AS midpoint
        FROM generate_series(0, n.n - 1) AS i
        CROSS JOIN LATERAL (SELECT ST_LineSubstring(m.line, i::float8 / n.n,
                                                    (i + 1)::float8 / n.n) AS segment) AS sub
        ) AS k
    CROSS JOIN LATERAL (
        SELECT p.grid_code FROM patrol_grid_pieces AS p
        WHERE ST_Intersects(p.piece, k.midpoint)
        ORDER BY p.grid_code LIMIT 1) AS g
    WHERE s.county_code = p_county;
    GET DIAGNOSTICS n_segments = ROW_COUNT;

    -- the lattice cells of each piece (one lattice: ST_SquareGrid's indices are absolute),
    -- kept where the centre lies in the piece, the lowest code on an edge grids share
    INSERT INTO patrol_targets (county_code, kind, ref, grid_code, probe_4545)
    SELECT DISTINCT ON (c.i, c.j) p_county, 'cell', format('cell %s %s', c.i, c.j), c.grid_code,
           c.centre
    FROM (SELECT sq.i, sq.j, p.grid_code, ST_Centroid(sq.geom) AS centre, p.piece
          FROM patrol_grid_pieces AS p CROSS JOIN LATERAL ST_SquareGrid(50, p.piece) AS sq) AS c
    WHERE ST_Intersects(c.piece, c.centre)
    ORDER BY c.i, c.j, c.grid_code;
    GET DIAGNOSTICS n_cells = ROW_COUNT;

    CREATE INDEX patrol_targets_probe_idx ON patrol_targets USING gist (probe_4545);
    CREATE INDEX patrol_targets_geom_idx ON patrol_targets USING gist (geom);
    CREATE INDEX patrol_targets_grid_idx ON patrol_targets (grid_code, kind);
    ANALYZE patrol_targets;

    INSERT INTO patrol_target_builds AS b (county_code, buildings, street_segments, cells)
    VALUES (p_county, n_buildings, n_segments, n_cells)
    ON CONFLICT (county_code) DO UPDATE
    SET built_at = now(), buildings = EXCLUDED.buildings,
        street_segments = EXCLUDED.street_segments, cells = EXCLUDED.cells;
    RETURN QUERY SELECT n_buildings, n_segments, n_cells;
END
$$;
