-- Ids are handed out by the database: a record may name an existing {table} by its
-- {id_column} (to update it) but cannot invent one.
SELECT s.ord, s.{source}
FROM (SELECT ord, {source_expression} AS {source} FROM import_staging) s
WHERE s.{source} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{id_column} = s.{source})
ORDER BY s.ord
