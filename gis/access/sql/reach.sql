-- Walk from every source in access_sources (service centres, or candidate sites) along
-- its county's walking network, up to the longest distance in access_parameters, with
-- one multi-source pgr_drivingDistance call per county network, in one statement.
-- Leaves, for access_pieces.sql:
--   access_snaps          where each source joins the network,
--   access_virtual_edges  the source's own edges (door → street, street → both ends),
--   access_reached        every (source, node) within reach and its walking distance.
-- Temporary tables, gone at commit.

DROP TABLE IF EXISTS pg_temp.access_major_components, pg_temp.access_snaps,
    pg_temp.access_virtual_edges, pg_temp.access_graph_edges, pg_temp.access_reached;

-- A source joins one of its county's major components (the largest, or one with at least
-- 1 % of the edges): the nearest footpath may be a stray fragment of a few metres that
-- leads nowhere, and a centre snapped to it would seem to serve nobody.
CREATE TEMP TABLE access_major_components ON COMMIT DROP AS
SELECT county_code, component
FROM walk_components
WHERE county_code IN (SELECT DISTINCT county_code FROM access_sources)
  AND (largest OR edge_share >= 0.01);

-- k numbers the sources 1..n: the source's start node is -2k and the point where it
-- joins the street -2k-1 (walk_nodes ids are positive, so they cannot collide).
CREATE TEMP TABLE access_snaps ON COMMIT DROP AS
SELECT s.source_id, row_number() OVER (ORDER BY s.source_id) AS k, s.county_code,
       s.geom, near.edge_id, near.u, near.v, near.length_m, near.frac, near.snap_m,
       ST_LineInterpolatePoint(near.edge_geom, near.frac) AS snap_point, near.edge_geom,
       -- the UTM zone of the source: metres for cutting and buffering its area
       CASE WHEN ST_Y(s.geom) >= 0 THEN 32600 ELSE 32700 END
           + least(60, floor((ST_X(s.geom) + 180) / 6)::int + 1) AS metric_srid
FROM access_sources AS s
CROSS JOIN LATERAL (
    -- the index orders by planar degrees; the eight nearest are re-ranked in metres
    SELECT e.edge_id, e.source AS u, e.target AS v, e.length_m, e.geom AS edge_geom,
           ST_LineLocatePoint(e.geom, s.geom) AS frac,
           ST_Distance(e.geom::geography, s.geom::geography) AS snap_m
    FROM (SELECT e.*
          FROM walk_edges AS e
          WHERE e.county_code = s.county_code
            AND e.component IN (SELECT m.component FROM access_major_components AS m
                                WHERE m.county_code = s.county_code)
          ORDER BY e.geom <-> s.geom
          LIMIT 8) AS e
    ORDER BY snap_m, e.edge_id
    LIMIT 1
) AS near;
CREATE UNIQUE INDEX ON access_snaps (k);
ANALYZE access_snaps;

-- Each source's own three edges: its door to the street, and the snapped edge split at
-- the joining point towards both ends. Drawn from source to target like walk_edges.
CREATE TEMP TABLE access_virtual_edges ON COMMIT DROP AS
SELECT k, county_code, -(3 * k) AS edge_id, -(2 * k) AS source, -(2 * k + 1) AS target,
       snap_m AS length_m, ST_MakeLine(geom, snap_point) AS geom
FROM access_snaps
UNION ALL
SELECT k, county_code, -(3 * k + 1), -(2 * k + 1), u, length_m * frac,
       ST_Reverse(ST_LineSubstring(edge_geom, 0, frac))
FROM access_snaps
UNION ALL
SELECT k, county_code, -(3 * k + 2), -(2 * k + 1), v, length_m * (1 - frac),
       ST_LineSubstring(edge_geom, frac, 1)
FROM access_snaps;
CREATE INDEX ON access_virtual_edges (source);
CREATE INDEX ON access_virtual_edges (target);
ANALYZE access_virtual_edges;

-- The graph handed to pgRouting: the edges near enough to matter. No route longer than
-- the reach leaves a box of that half-width around a joining point (the degree of
-- longitude is the shorter one, so the box errs on the large side). Found box by box
-- through the spatial index, each edge once. A county with many sources is covered by
-- their boxes anyway, and testing every edge against every box costs more than the
-- walk: its whole network is taken instead (`whole` below).
CREATE TEMP TABLE access_graph_edges ON COMMIT DROP AS
WITH counties AS (
    SELECT county_code, count(*) AS sources FROM access_snaps GROUP BY county_code
)
SELECT DISTINCT near.edge_id
FROM access_snaps AS s
JOIN counties AS c USING (county_code)
CROSS JOIN access_parameters AS p
CROSS JOIN LATERAL (
    SELECT e.edge_id
    FROM walk_edges AS e
    WHERE e.county_code = s.county_code
      AND e.geom && ST_Expand(s.snap_point,
              (p.reach_m - s.snap_m) / (111320 * cos(radians(ST_Y(s.snap_point)))) + 1e-5)
) AS near
WHERE c.sources <= 8;
ANALYZE access_graph_edges;

-- One multi-source call per county network (each county's network is its own graph),
-- all in this one statement. pgRouting prepares per source a table as large as the graph
-- it is given, so a city's counties walked as one graph cost ten times as much.
-- Undirected: the reverse cost is the cost.
CREATE TEMP TABLE access_reached ON COMMIT DROP AS
SELECT -reach.:start_column / 2 AS k, reach.node, reach.agg_cost AS walked_m
FROM (
    SELECT county_code, array_agg(-2 * k ORDER BY k) AS starts, count(*) > 8 AS whole
    FROM access_snaps
    GROUP BY county_code
) AS county
CROSS JOIN LATERAL pgr_drivingDistance(
    format($edges$
        SELECT e.edge_id AS id, e.source, e.target, e.length_m AS cost,
               e.length_m AS reverse_cost
        FROM walk_edges AS e
        WHERE e.county_code = %L
          AND (%L::boolean OR e.edge_id IN (SELECT edge_id FROM access_graph_edges))
        UNION ALL
        SELECT edge_id, source, target, length_m, length_m
        FROM access_virtual_edges WHERE county_code = %L
    $edges$, county.county_code, county.whole, county.county_code),
    county.starts,
    (SELECT reach_m FROM access_parameters),
    directed => false
) AS reach;
ANALYZE access_reached;
