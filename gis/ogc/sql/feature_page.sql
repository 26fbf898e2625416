-- One page of a collection: the page's features serialized to GeoJSON by PostGIS in a
-- single json_agg, the exact number of features matching the filters, and whether more
-- matching features lie ahead of the page and behind it (for the next and prev links).
--
-- Paging is by keyset on the primary key ({keyset} is `true`, `id > after` or
-- `id < before`, walked in {direction}), so a deep page is as cheap as the first. One
-- extra key is read to learn whether anything lies ahead; {behind} is `false` or an
-- EXISTS on the bound token, which the planner can estimate. Only the page's keys are
-- joined back to the table for their GeoJSON.
WITH probe AS (
    SELECT {id_column} AS page_key
    FROM {table}
    WHERE {conditions} AND {keyset}
    ORDER BY {id_column} {direction}
    LIMIT %(limit)s + 1
),
page AS (
    SELECT page_key FROM probe ORDER BY page_key {direction} LIMIT %(limit)s
)
SELECT
    (SELECT count(*) FROM {table} WHERE {conditions}) AS number_matched,
    (SELECT count(*) FROM page) AS number_returned,
    (SELECT min(page_key)::text FROM page) AS first_id,
    (SELECT max(page_key)::text FROM page) AS last_id,
    (SELECT count(*) > %(limit)s FROM probe) AS more_ahead,
    {behind} AS more_behind,
    coalesce(
        (SELECT json_agg({feature} ORDER BY page.page_key)
         FROM page JOIN {table} AS feature_row ON feature_row.{id_column} = page.page_key),
        '[]'::json
    )::text AS features
