-- Each table's counters summed over every county (the collections' versions, each the sum
-- over the tables it reads), with when it last changed.
SELECT 'change_counters'::regclass::oid, table_name, sum(version), max(changed_at)
FROM change_counters
WHERE table_name = ANY (%(tables)s::text[])
GROUP BY table_name
