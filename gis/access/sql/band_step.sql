-- One time's bands (access_pieces.sql), drawn from the previous time's: a longer walk
-- reaches all a shorter one did, so the t-minute band is the previous band and the bands
-- of the pieces not already walked whole before it. Buffering each piece and unioning
-- the bands is about four times faster than buffering the pieces at once (GEOS nodes
-- every overlapping round cap in one pass); starting from the previous band saves a
-- further quarter. Parameters: minutes, previous (NULL for the shortest), buffer_m.
INSERT INTO access_bands (k, minutes, geom)
SELECT s.k, %(minutes)s,
       CASE WHEN ring.geom IS NULL THEN previous.geom
            WHEN previous.geom IS NULL THEN ring.geom
            ELSE ST_Union(ring.geom, previous.geom) END
FROM access_snaps AS s
LEFT JOIN (
    SELECT p.k, ST_Union(ST_Buffer(p.geom, %(buffer_m)s, 'quad_segs=2')) AS geom
    FROM access_pieces AS p
    WHERE p.minutes = %(minutes)s
      AND NOT EXISTS (
          SELECT 1 FROM access_pieces AS before
          WHERE before.whole AND before.k = p.k AND before.minutes = %(previous)s
            AND before.edge_id = p.edge_id)
    GROUP BY p.k
) AS ring ON ring.k = s.k
LEFT JOIN access_bands AS previous ON previous.k = s.k AND previous.minutes = %(previous)s
WHERE ring.geom IS NOT NULL OR previous.geom IS NOT NULL;
