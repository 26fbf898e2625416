-- Clean a file's fixes: every fix gets the first verdict that applies, each rule judging
-- only what survived the rules before it, and the kept fixes are split into pieces.
--
-- The fixes come as parallel arrays (the source track's ordinal in its file, longitude,
-- latitude, epoch seconds), in the order the file gives them. Verdicts, in order:
--   outside         the fix is not within the county's outline;
--   duplicate_time  the same instant as the fix before it;
--   backward_time   earlier than (or as early as) a fix before it;
--   jump            a GPS spike: both legs to and from it are faster than max_speed_kmh
--                   while the leg that skips it is not (one spike costs no neighbour);
--   speed           faster than max_speed_kmh from the last fix still standing;
--   lone            the only fix of its piece;
--   kept            otherwise.
-- A piece starts at a track's first kept fix and wherever the silence since the kept fix
-- before exceeds gap_s (a phone in a pocket, a bus ride) or the step from it is still too
-- fast: a track is never drawn as a straight line across ground nobody walked.
CREATE OR REPLACE FUNCTION clean_patrol_fixes(
    track_ords integer[], lons float8[], lats float8[], times float8[],
    county bpchar, max_speed_kmh float8, gap_s float8)
RETURNS TABLE (track_ord integer, seq integer, lon float8, lat float8, t float8,
               verdict text, piece integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
WITH fixes AS (
    SELECT f.track_ord, f.seq::integer AS seq, f.lon, f.lat, f.t,
           ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326) AS fix
    FROM unnest(track_ords, lons, lats, times) WITH ORDINALITY AS f (track_ord, lon, lat, t, seq)
),
inside AS (
    SELECT f.*
    FROM fixes AS f JOIN districts AS d ON d.county_code = county AND ST_Intersects(d.geom, f.fix)
),
timed AS (
    SELECT i.*,
           CASE WHEN i.t = lag(i.t) OVER w THEN 'duplicate_time'
                WHEN i.t <= max(i.t) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 'backward_time' END AS verdict
    FROM inside AS i
    WINDOW w AS (PARTITION BY i.track_ord ORDER BY i.seq)
),
ordered AS (
    SELECT * FROM timed WHERE verdict IS NULL
),
legs AS (
    SELECT o.*,
           3.6 * ST_DistanceSphere(lag(o.fix) OVER w, o.fix) / (o.t - lag(o.t) OVER w)
               AS kmh_in,
           3.6 * ST_DistanceSphere(o.fix, lead(o.fix) OVER w) / (lead(o.t) OVER w - o.t)
               AS kmh_out,
           3.6 * ST_DistanceSphere(lag(o.fix) OVER w, lead(o.fix) OVER w)
               / (lead(o.t) OVER w - lag(o.t) OVER w) AS kmh_skipping
    FROM ordered AS o
    WINDOW w AS (PARTITION BY o.track_ord ORDER BY o.seq)
),
unspiked AS (
    SELECT l.track_ord, l.seq, l.t, l.fix
    FROM legs AS l
    -- a track's first and last fix have one leg: they are never judged spikes here
    WHERE NOT coalesce(l.kmh_in > max_speed_kmh AND l.kmh_out > max_speed_kmh
                       AND l.kmh_skipping <= max_speed_kmh, false)
),
stepped AS (
    SELECT u.*,
           3.6 * ST_DistanceSphere(lag(u.fix) OVER w, u.fix) / (u.t - lag(u.t) OVER w) AS kmh,
           u.t - lag(u.t) OVER w AS silence
    FROM unspiked AS u
    WINDOW w AS (PARTITION BY u.track_ord ORDER BY u.seq)
),
-- a run of fast fixes (a ride) goes; the first fix after it starts a piece of its own
slow AS (
    SELECT s.track_ord, s.seq, s.t, s.fix
    FROM stepped AS s
    WHERE s.kmh IS NULL OR s.kmh <= max_speed_kmh OR s.silence > gap_s
),
split AS (
    SELECT s.track_ord, s.seq,
           sum(CASE WHEN prev_t IS NULL OR s.t - prev_t > gap_s
                         OR 3.6 * ST_DistanceSphere(prev_fix, s.fix) / (s.t - prev_t) > max_speed_kmh
                    THEN 1 ELSE 0 END) OVER (PARTITION BY s.track_ord ORDER BY s.seq)::integer
               AS piece
    FROM (SELECT sl.*, lag(sl.t) OVER w AS prev_t, lag(sl.fix) OVER w AS prev_fix
          FROM slow AS sl WINDOW w AS (PARTITION BY sl.track_ord ORDER BY sl.seq)) AS s
),
pieces AS (
    SELECT sp.*, count(*) OVER (PARTITION BY sp.track_ord, sp.piece) AS fixes_in_piece
    FROM split AS sp
)
SELECT f.track_ord, f.seq, f.lon, f.lat, f.t,
       CASE WHEN i.seq IS NULL THEN 'outside'
            WHEN tm.verdict IS NOT NULL THEN tm.verdict
            WHEN u.seq IS NULL THEN 'jump'
            WHEN sl.seq IS NULL THEN 'speed'
            WHEN p.fixes_in_piece = 1 THEN 'lone'
            ELSE 'kept' END,
       CASE WHEN p.fixes_in_piece > 1 THEN p.piece END
FROM fixes AS f
LEFT JOIN inside AS i ON i.seq = f.seq
LEFT JOIN timed AS tm ON tm.seq = f.seq
LEFT JOIN unspiked AS u ON u.seq = f.seq
LEFT JOIN slow AS sl ON sl.seq = f.seq
LEFT JOIN pieces AS p ON p.seq = f.seq
ORDER BY f.seq
$$;
