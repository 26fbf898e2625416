-- A collection's version: the sum of its tables' change counters (of some counties, or of
-- all), which grows with every commit changing them, and when they last changed. The OID
-- of the counters' table tells a re-created table's counts from the old ones.
SELECT 'change_counters'::regclass::oid::text || '.' || coalesce(sum(version), 0) AS tag,
       max(changed_at) AS changed_at
FROM change_counters
WHERE table_name = ANY (%(version_tables)s::text[]) AND {counties}
