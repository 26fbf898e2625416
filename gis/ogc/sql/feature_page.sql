-- One page of a collection: the page's features serialized to GeoJSON by PostGIS and
-- joined into one JSON array (text, never parsed again), the number of features matching the filters, whether more matching
-- features lie ahead of the page and behind it (for the next and prev links), and the
-- collection's version read in the same snapshot (the page's ETag and timeStamp).
--
-- Paging is by keyset on the primary key ({keyset} is `true`, `id > after` or
-- `id < before`, walked in {direction}), so a deep page is as cheap as the first. One
-- extra feature is read to learn whether anything lies ahead; {behind} is `false` or an
-- EXISTS on the bound token, which the planner can estimate. The features are built in
-- the same scan that finds them: PostgreSQL postpones an expensive target list past the
-- sort and the limit, so only the page's rows are serialized.
--
-- numberMatched: the count the caller last saw (%(counted)s) while the version is the
-- one it was counted at (%(counted_tag)s), else counted here; the subquery runs only
-- when its CASE branch is taken.
WITH version AS ({version}),
probe AS (
    SELECT {id_column} AS page_key, {feature} AS feature
    FROM {table} AS feature_row
    WHERE {conditions} AND {keyset}
    ORDER BY {id_column} {direction}
    LIMIT %(limit)s + 1
),
page AS (
    SELECT page_key, feature FROM probe ORDER BY page_key {direction} LIMIT %(limit)s
)
SELECT
    version.tag,
    version.changed_at,
    CASE WHEN version.tag = %(counted_tag)s THEN %(counted)s::bigint
         ELSE (SELECT count(*) FROM {table} WHERE {conditions})
    END AS number_matched,
    (SELECT count(*) FROM page) AS number_returned,
    (SELECT min(page_key)::text FROM page) AS first_id,
    (SELECT max(page_key)::text FROM page) AS last_id,
    (SELECT count(*) > %(limit)s FROM probe) AS more_ahead,
    {behind} AS more_behind,
    -- as UTF-8 bytes (bytea, sent in binary): passed on to the client as they are
    convert_to(
        '[' || coalesce((SELECT string_agg(feature, ',' ORDER BY page_key) FROM page), '') || ']',
        'UTF8'
    ) AS features
FROM version
