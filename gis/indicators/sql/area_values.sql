-- An indicator's value per area and over all of them: numerator × scale / denominator,
-- NULL where the denominator is 0. figures is one of the area_*.sql queries (one row
-- per area); numerator and denominator are its whitelisted columns.
SELECT code, name, sum({numerator}) AS numerator, sum({denominator}) AS denominator,
       round(sum({numerator})::numeric * %(scale)s / nullif(sum({denominator}), 0),
             %(decimals)s) AS value,
       grouping(code) = 1 AS is_total
FROM ({figures}) AS figures
GROUP BY GROUPING SETS ((code, name), ())
ORDER BY is_total, code
