-- The street each source reaches (access_reach.sql), as pieces of edges: for every
-- source and every distance in access_distances, whole edges, and edges cut at the exact
-- distance. In the source's metric zone, ready for access_band_step.sql. Leaves
-- access_pieces and the empty access_bands; temporary, gone at commit.

DROP TABLE IF EXISTS pg_temp.access_edge_reach, pg_temp.access_pieces, pg_temp.access_bands,
    pg_temp.access_areas;

-- Per source and edge: how far the walk had come at each end (NULL: that end not reached).
CREATE TEMP TABLE access_edge_reach ON COMMIT DROP AS
SELECT k, edge_id, min(at_source) AS at_source, min(at_target) AS at_target
FROM (
    SELECT r.k, e.edge_id, r.walked_m AS at_source, NULL::float8 AS at_target
    FROM access_reached AS r JOIN walk_edges AS e ON e.source = r.node
    WHERE r.node > 0
    UNION ALL
    SELECT r.k, e.edge_id, NULL, r.walked_m
    FROM access_reached AS r JOIN walk_edges AS e ON e.target = r.node
    WHERE r.node > 0
    -- a source's own edges only: another centre's door is not a street of this one
    UNION ALL
    SELECT r.k, v.edge_id, r.walked_m, NULL
    FROM access_reached AS r JOIN access_virtual_edges AS v ON v.source = r.node AND v.k = r.k
    UNION ALL
    SELECT r.k, v.edge_id, NULL, r.walked_m
    FROM access_reached AS r JOIN access_virtual_edges AS v ON v.target = r.node AND v.k = r.k
) AS ends
-- the edge a source stands on is walked as its two virtual halves, not twice
WHERE NOT EXISTS (SELECT 1 FROM access_snaps AS s WHERE s.k = ends.k AND s.edge_id = ends.edge_id)
GROUP BY k, edge_id;
ANALYZE access_edge_reach;

CREATE TEMP TABLE access_pieces ON COMMIT DROP AS
WITH edges AS (
    SELECT edge_id, length_m, geom FROM walk_edges
    WHERE edge_id IN (SELECT edge_id FROM access_edge_reach WHERE edge_id > 0)
    UNION ALL
    SELECT edge_id, length_m, geom FROM access_virtual_edges
),
-- The walk enters an edge from either end and goes on while time is left: from the
-- source end it covers [0, distance - at_source], from the target end the last
-- (distance - at_target) metres. When the two meet, the whole edge is reached.
walked AS (
    SELECT r.k, d.minutes, e.edge_id, e.length_m, e.geom,
           least(e.length_m, greatest(0, d.distance_m - coalesce(r.at_source, 'infinity')))
               AS from_source,
           least(e.length_m, greatest(0, d.distance_m - coalesce(r.at_target, 'infinity')))
               AS from_target
    FROM access_edge_reach AS r
    JOIN edges AS e USING (edge_id)
    CROSS JOIN access_distances AS d
)
SELECT w.k, w.minutes, w.edge_id, w.from_source + w.from_target >= w.length_m AS whole,
       piece.walked_m, ST_Transform(piece.geom, s.metric_srid) AS geom
FROM walked AS w
JOIN access_snaps AS s USING (k)
CROSS JOIN LATERAL (
    SELECT w.length_m AS walked_m, w.geom
    WHERE w.from_source + w.from_target >= w.length_m
    UNION ALL
    SELECT w.from_source, ST_LineSubstring(w.geom, 0, w.from_source / w.length_m)
    WHERE w.from_source + w.from_target < w.length_m AND w.from_source > 0
    UNION ALL
    SELECT w.from_target, ST_LineSubstring(w.geom, 1 - w.from_target / w.length_m, 1)
    WHERE w.from_source + w.from_target < w.length_m AND w.from_target > 0
) AS piece
WHERE w.length_m > 0 AND (w.from_source > 0 OR w.from_target > 0);
CREATE INDEX ON access_pieces (k, minutes, edge_id) WHERE whole;
ANALYZE access_pieces;

-- The band (metres, the source's zone) drawn around each source's pieces, per minutes.
CREATE TEMP TABLE access_bands (
    k        bigint NOT NULL,
    minutes  smallint NOT NULL,
    geom     geometry NOT NULL,
    PRIMARY KEY (k, minutes)
) ON COMMIT DROP;
