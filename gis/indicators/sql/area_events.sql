-- Per area of a level, the figures of the event indicators for events reported in
-- [from, to): the closed loop's counts as events/indicators.sql computes them (the same
-- definitions as GET /api/v1/indicators/events), the ratings given, and the households
-- the area holds (grid_statistics, summed over its grids). Every area has a row, zeros
-- where it has no events. areas is areas.sql, loop events/indicators.sql grouped by
-- the level's code on the event, length the length of the level's code.
WITH areas AS ({areas}),
loop AS ({loop}),
rated AS (
    SELECT {event_key} AS code, sum(e.rating) AS rating_sum, count(e.rating) AS ratings
    FROM events AS e
    WHERE e.rating IS NOT NULL
      AND (%(from)s::timestamptz IS NULL OR e.reported_at >= %(from)s::timestamptz)
      AND (%(to)s::timestamptz IS NULL OR e.reported_at < %(to)s::timestamptz)
    GROUP BY 1
),
held AS (
    SELECT left(s.grid_code, {length}) AS code, sum(s.households) AS households
    FROM grid_statistics AS s
    GROUP BY 1
)
SELECT a.code, a.name,
       coalesce(l.reported, 0) AS reported,
       coalesce(l.due, 0) AS due,
       coalesce(l.closed, 0) AS closed,
       coalesce(l.closed_on_time, 0) AS closed_on_time,
       coalesce(l.overdue, 0) AS overdue,
       coalesce(r.rating_sum, 0) AS rating_sum,
       coalesce(r.ratings, 0) AS ratings,
       coalesce(h.households, 0) AS households
FROM areas AS a
LEFT JOIN loop AS l ON l.group_key = a.code AND NOT l.is_total
LEFT JOIN rated AS r ON r.code = a.code
LEFT JOIN held AS h ON h.code = a.code
