-- Grids: recompute the changed grids and every grid touching their old or new outline,
-- because redrawing one grid can move a building from or to a neighbour (through the
-- lowest-code rule on overlaps). Up to 100 grids go through the buildings' index; more,
-- through indexed points (refresh_grid_statistics.sql). TRUNCATE grids CASCADE empties
-- grid_statistics through its foreign key, so it needs no trigger.
CREATE OR REPLACE FUNCTION grid_statistics_on_grids() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text;
    affected bpchar[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := 'SELECT grid_code, geom FROM new_rows';
    ELSIF TG_OP = 'DELETE' THEN
        changed := 'SELECT grid_code, geom FROM old_rows';
    ELSE
        -- Staffing and names do not move buildings: only new codes and outlines count.
        changed := $q$
            SELECT o.grid_code, o.geom FROM old_rows AS o
            WHERE NOT EXISTS (
                SELECT FROM new_rows AS n WHERE n.grid_code = o.grid_code AND n.geom = o.geom)
            UNION ALL
            SELECT n.grid_code, n.geom FROM new_rows AS n
            WHERE NOT EXISTS (
                SELECT FROM old_rows AS o WHERE o.grid_code = n.grid_code AND o.geom = n.geom)
        $q$;
    END IF;
    EXECUTE format($q$
        WITH changed AS MATERIALIZED (%s)
        SELECT coalesce(array_agg(DISTINCT affected.grid_code), '{}')
        FROM (
            SELECT grid_code FROM changed
            UNION ALL
            SELECT grids.grid_code
            FROM changed JOIN grids ON ST_Intersects(grids.geom, changed.geom)
        ) AS affected
    $q$, changed) INTO affected;
    IF cardinality(affected) > 0 THEN
        PERFORM refresh_grid_statistics(affected);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER grid_statistics_grids_insert AFTER INSERT ON grids
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grid_statistics_on_grids();
CREATE OR REPLACE TRIGGER grid_statistics_grids_update AFTER UPDATE ON grids
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grid_statistics_on_grids();
CREATE OR REPLACE TRIGGER grid_statistics_grids_delete AFTER DELETE ON grids
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grid_statistics_on_grids();
