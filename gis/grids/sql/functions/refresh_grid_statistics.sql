-- Recompute the given grids (all grids when NULL) from the buildings and compounds whose
-- point on surface they hold. Returns the number of grids whose figures changed.
--
-- The placement rule, everywhere in onemap: a building (or compound) belongs to the grid
-- whose geometry contains its ST_PointOnSurface — a point always inside the polygon, unlike
-- the centroid of an L-shaped block. A point on a boundary shared by two grids, or inside
-- an overlap, goes to the lowest grid code, so every building counts in at most one grid
-- and the result never depends on the order rows were read. Buildings whose point lies in
-- no grid count nowhere; the grid audit reports them.
--
-- The triggers (grid_statistics_on_places.sql, grid_statistics_on_grids.sql) keep the
-- table current change by change; this function recomputes from scratch and repairs the
-- table should it ever have been bypassed (e.g. loads with session_replication_role =
-- replica, which skips triggers).
CREATE OR REPLACE FUNCTION refresh_grid_statistics(only_grids bpchar[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    many boolean := only_grids IS NULL OR cardinality(only_grids) > 100;
    placed text;  -- SQL: (grid_code, buildings, compounds, households, population) rows
    changed integer;
BEGIN
    PERFORM grid_statistics_lock();
    INSERT INTO grid_statistics (grid_code, county_code)
    SELECT grid_code, county_code FROM grids
    WHERE only_grids IS NULL OR grid_code = ANY (only_grids)
    ON CONFLICT (grid_code, county_code) DO NOTHING;
    -- A renumbered grid leaves its old row behind: its key holds the county, and no update
    -- of such a key cascades (Citus refuses it), so the foreign key waits for the commit
    -- (migration 0020) and the old row goes here; the new code was counted in above.
    DELETE FROM grid_statistics AS s
    WHERE (only_grids IS NULL OR s.grid_code = ANY (only_grids))
      AND NOT EXISTS (SELECT FROM grids AS g
                      WHERE g.grid_code = s.grid_code AND g.county_code = s.county_code);
    IF many THEN
        -- Many grids (the whole table, a redrawn district): index every point once and
        -- walk the grids over that index; the lowest grid code wins.
        CREATE TEMP TABLE grid_statistics_anchors ON COMMIT DROP AS
        SELECT 1 AS buildings, 0 AS compounds, households, population,
               ST_PointOnSurface(geom) AS anchor
        FROM buildings
        UNION ALL
        SELECT 0, 1, 0, 0, ST_PointOnSurface(geom) FROM compounds;
        EXECUTE 'CREATE INDEX ON grid_statistics_anchors USING gist (anchor)';
        placed := $q$
            SELECT DISTINCT ON (a.ctid) grids.grid_code, a.buildings, a.compounds,
                   a.households, a.population
            FROM grids JOIN grid_statistics_anchors AS a ON ST_Intersects(grids.geom, a.anchor)
            ORDER BY a.ctid, grids.grid_code
        $q$;
    ELSE
        -- A few grids (an edit): their buildings and compounds through those tables'
        -- spatial indexes, each kept only if no lower grid code also holds its point.
        placed := $q$
            SELECT target.grid_code, 1 AS buildings, 0 AS compounds, b.households,
                   b.population
            FROM grids AS target
            JOIN buildings AS b ON b.geom && target.geom
            WHERE target.grid_code = ANY ($1)
              AND ST_Intersects(target.geom, ST_PointOnSurface(b.geom))
              AND NOT EXISTS (
                  SELECT FROM grids AS lower
                  WHERE lower.grid_code < target.grid_code
                    AND ST_Intersects(lower.geom, ST_PointOnSurface(b.geom)))
            UNION ALL
            SELECT target.grid_code, 0, 1, 0, 0
            FROM grids AS target
            JOIN compounds AS c ON c.geom && target.geom
            WHERE target.grid_code = ANY ($1)
              AND ST_Intersects(target.geom, ST_PointOnSurface(c.geom))
              AND NOT EXISTS (
                  SELECT FROM grids AS lower
                  WHERE lower.grid_code < target.grid_code
                    AND ST_Intersects(lower.geom, ST_PointOnSurface(c.geom)))
        $q$;
    END IF;
    EXECUTE format($q$
        WITH placed AS (%s),
        totals AS (
            SELECT grid_code, sum(buildings) AS buildings, sum(compounds) AS compounds,
                   sum(households) AS households, sum(population) AS population
            FROM placed GROUP BY grid_code
        ),
        fresh AS (
            SELECT s.grid_code,
                   coalesce(t.households, 0) AS households,
                   coalesce(t.population, 0) AS population,
                   coalesce(t.buildings, 0) AS buildings,
                   coalesce(t.compounds, 0) AS compounds
            FROM grid_statistics AS s
            LEFT JOIN totals AS t USING (grid_code)
            WHERE $1 IS NULL OR s.grid_code = ANY ($1)
        )
        UPDATE grid_statistics AS s
        SET households = fresh.households, population = fresh.population,
            buildings = fresh.buildings, compounds = fresh.compounds
        FROM fresh
        WHERE s.grid_code = fresh.grid_code
          AND (s.households, s.population, s.buildings, s.compounds)
              IS DISTINCT FROM (fresh.households, fresh.population, fresh.buildings,
                                fresh.compounds)
    $q$, placed) USING only_grids;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF many THEN
        DROP TABLE grid_statistics_anchors;
    END IF;
    RETURN changed;
END
$$;
