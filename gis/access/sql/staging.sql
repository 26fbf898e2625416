-- Edges waiting to become a walking network: filled by COPY (an OpenStreetMap import) or
-- from the streets table (the demo), read by access_build_network.sql, gone at commit.
-- The keys are the end points in units of 1e-7 degree (about 1 cm, OpenStreetMap's own
-- precision): end points with the same key become one node.
DROP TABLE IF EXISTS pg_temp.walk_staging;
CREATE TEMP TABLE walk_staging (
    county_code  char(6) NOT NULL,
    osm_way_id   bigint,
    highway      text NOT NULL,
    name         text,
    source_osm   bigint,
    target_osm   bigint,
    geom         geometry(LineString, 4326) NOT NULL,
    start_x      bigint GENERATED ALWAYS AS (round(ST_X(ST_StartPoint(geom)) * 1e7)) STORED,
    start_y      bigint GENERATED ALWAYS AS (round(ST_Y(ST_StartPoint(geom)) * 1e7)) STORED,
    end_x        bigint GENERATED ALWAYS AS (round(ST_X(ST_EndPoint(geom)) * 1e7)) STORED,
    end_y        bigint GENERATED ALWAYS AS (round(ST_Y(ST_EndPoint(geom)) * 1e7)) STORED
) ON COMMIT DROP;
