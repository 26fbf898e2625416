-- One level's places matching a search, the best first, cut at the page size: a
-- search is answered from each level's best few, so a one-digit code prefix walks the
-- primary key in order and stops rather than sorting every building of the city.
-- match_rank: 0 exact code (a compound's id) or name, 1 code or name prefix, 2 name
-- substring. parent: the code whose ancestors make the place's path (its own; a
-- compound's community's).
(SELECT
    {code} AS code,
    {level}::text AS level,
    {level_rank} AS level_rank,
    name,
    geom,
    CASE
        WHEN {code_exact} OR lower(name) = lower(%(q)s) THEN 0
        WHEN {code_prefix} OR name ILIKE %(name_prefix)s THEN 1
        ELSE 2
    END AS match_rank,
    {parent} AS parent
FROM {table}
WHERE {condition}
ORDER BY {order}
LIMIT %(limit)s)
