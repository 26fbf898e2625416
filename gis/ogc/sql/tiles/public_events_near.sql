-- public_events shows each event at the centre of its ~50 m cell (event_public_point), an
-- expression no index holds: the events whose stored point lies within 0.001° of the tile
-- (more than half a cell anywhere in China) are found by the GiST index on events.geom
-- first, once (an ARRAY is an init plan, never re-run per row whatever the planner
-- guesses of the public points), and only their public points are computed and tested.
feature_row.event_id = ANY (ARRAY(
    SELECT stored.event_id FROM events AS stored
    WHERE stored.geom && ST_Expand(ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326),
                                   0.001)
))
