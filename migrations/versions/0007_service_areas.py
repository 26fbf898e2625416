"""Service areas: the 5/10/15-minute walking areas of every service centre, and the queue
of centres whose areas must be recomputed.

An area is stored, not computed on every read: coverage, the dashboard layer and siting
all read the same polygons. It goes stale when its centre moves or when its county's
walking network changes; triggers (gis/access/sql/functions/queue_*.sql) put such
centres in ``service_area_queue`` in the same transaction as the change, and
`gis.access.refresh_service_areas` (run by the imports, the demo load and ``onemap
access compute``) recomputes the queued ones. Readers see the queue too, so an answer
drawn from stale areas says so.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
-- Where a building is counted: inside an area, a grid or a community when this point is.
-- Stored and indexed, so coverage asks the index which points an area holds instead of
-- recomputing every building's point on surface for every area.
ALTER TABLE buildings
    ADD COLUMN point geometry(Point, 4326) GENERATED ALWAYS AS (ST_PointOnSurface(geom)) STORED;
CREATE INDEX buildings_point_idx ON buildings USING gist (point);

-- Every service-area computation asks which components are major (the largest, or one
-- with at least 1 % of the county's edges): aggregating a county's edges for that took
-- a third of one centre's recompute. The network changes only through
-- gis/access/sql/write_network.sql, which refreshes this.
DROP VIEW walk_components;
CREATE MATERIALIZED VIEW walk_components AS
SELECT county_code, component, edges, length_m,
       rank() OVER (PARTITION BY county_code ORDER BY edges DESC, component) = 1 AS largest,
       edges::double precision / sum(edges) OVER (PARTITION BY county_code) AS edge_share
FROM (SELECT county_code, component, count(*) AS edges, sum(length_m) AS length_m
      FROM walk_edges GROUP BY county_code, component) AS per_component;
CREATE UNIQUE INDEX walk_components_key ON walk_components (county_code, component);

CREATE TABLE service_areas (
    center_id        bigint NOT NULL REFERENCES service_centers ON DELETE CASCADE,
    minutes          smallint NOT NULL CHECK (minutes BETWEEN 1 AND 60),
    county_code      char(6) NOT NULL,
    -- 'network': walked along walk_edges; 'straight_line': a circle, because the county
    -- had no walking network when the area was computed
    method           text NOT NULL CHECK (method IN ('network', 'straight_line')),
    speed_kmh        double precision NOT NULL CHECK (speed_kmh > 0),
    -- how far one walks in `minutes` at `speed_kmh`
    distance_m       double precision NOT NULL CHECK (distance_m > 0),
    -- the half-width of the band drawn around the reached street segments
    buffer_m         double precision NOT NULL CHECK (buffer_m >= 0),
    -- where the centre joins the network: the nearest edge of a major component, and the
    -- straight walk from the centre to it (part of every route)
    snap_edge_id     bigint,
    snap_m           double precision,
    reached_edges    integer NOT NULL DEFAULT 0,
    -- metres of street walkable within the time, partial edges counted to the cut
    reached_m        double precision NOT NULL DEFAULT 0,
    computed_at      timestamptz NOT NULL DEFAULT now(),
    geom             geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (center_id, minutes),
    CHECK ((method = 'network') = (snap_edge_id IS NOT NULL))
);
CREATE INDEX service_areas_geom_idx ON service_areas USING gist (geom);
CREATE INDEX service_areas_county_minutes_idx ON service_areas (county_code, minutes);

CREATE TABLE service_area_queue (
    center_id        bigint PRIMARY KEY REFERENCES service_centers ON DELETE CASCADE,
    county_code      char(6) NOT NULL,
    -- what made the areas stale: the centre itself, or its county's walking network
    reason           text NOT NULL CHECK (reason IN ('centre', 'network')),
    queued_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_area_queue_county_idx ON service_area_queue (county_code);

-- The centres already there have no areas yet: queued, like new ones.
INSERT INTO service_area_queue (center_id, county_code, reason)
SELECT center_id, county_code, 'centre' FROM service_centers;
"""

DOWNGRADE = """
DROP TABLE IF EXISTS service_area_queue, service_areas;
ALTER TABLE buildings DROP COLUMN IF EXISTS point;
DROP MATERIALIZED VIEW IF EXISTS walk_components;
CREATE VIEW walk_components AS
SELECT county_code, component, edges, length_m,
       rank() OVER (PARTITION BY county_code ORDER BY edges DESC, component) = 1 AS largest,
       edges::double precision / sum(edges) OVER (PARTITION BY county_code) AS edge_share
FROM (SELECT county_code, component, count(*) AS edges, sum(length_m) AS length_m
      FROM walk_edges GROUP BY county_code, component) AS per_component;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
