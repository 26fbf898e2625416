-- access_areas (as access_areas.sql leaves it), empty, for areas drawn on other
-- connections and copied back (gis/access/service_areas.py, workers).
DROP TABLE IF EXISTS pg_temp.access_areas, pg_temp.access_snaps;
CREATE TEMP TABLE access_areas (
    source_id      bigint NOT NULL,
    minutes        smallint NOT NULL,
    distance_m     double precision NOT NULL,
    method         text NOT NULL,
    snap_edge_id   bigint,
    snap_m         double precision,
    reached_edges  integer NOT NULL,
    reached_m      double precision NOT NULL,
    geom           geometry NOT NULL
) ON COMMIT DROP;
