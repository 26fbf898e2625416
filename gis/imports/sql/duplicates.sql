-- Records that name the same place twice in one file (by code, or by the key that
-- stands in for one).
SELECT identity, array_agg(ord ORDER BY ord) AS ords, array_agg(label ORDER BY ord) AS labels
FROM (SELECT ord, label, {identity} AS identity FROM import_staging) t
WHERE identity IS NOT NULL
GROUP BY identity
HAVING count(*) > 1
