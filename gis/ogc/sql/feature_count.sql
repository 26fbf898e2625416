-- How many features of a collection match the filters: numberMatched of OGC API Features.
SELECT count(*) FROM {table} WHERE {conditions}
