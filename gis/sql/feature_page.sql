-- One page of a collection: the page's features serialized to GeoJSON by PostGIS in a
-- single json_agg, the exact number of features matching the filters, and whether
-- matching features lie before and after the page (for the prev and next links).
--
-- Paging is by keyset on the primary key ({keyset} is `true`, `id > after` or
-- `id < before`), so every page is an index range scan however deep it is. The page's
-- keys are chosen first and only then joined back for their GeoJSON.
WITH page AS (
    SELECT {id_column} AS page_key
    FROM {table}
    WHERE {conditions} AND {keyset}
    ORDER BY {id_column} {direction}
    LIMIT %(limit)s
),
bounds AS (
    SELECT min(page_key) AS first_key, max(page_key) AS last_key, count(*) AS returned
    FROM page
)
SELECT
    (SELECT count(*) FROM {table} WHERE {conditions}) AS number_matched,
    bounds.returned AS number_returned,
    bounds.first_key::text,
    bounds.last_key::text,
    EXISTS (
        SELECT FROM {table} WHERE {conditions} AND {id_column} < bounds.first_key
    ) AS has_previous,
    EXISTS (
        SELECT FROM {table} WHERE {conditions} AND {id_column} > bounds.last_key
    ) AS has_next,
    coalesce(
        (SELECT json_agg({feature} ORDER BY page.page_key)
         FROM page JOIN {table} AS feature_row ON feature_row.{id_column} = page.page_key),
        '[]'::json
    )::text AS features
FROM bounds
