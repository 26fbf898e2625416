-- Recompute grid statistics from the buildings and compounds: the given grids, or every
-- grid when the array is NULL. The work is the database function
-- functions/refresh_grid_statistics.sql, the same one the triggers call, so there is one
-- placement rule. Returns the number of grids whose figures changed.
SELECT refresh_grid_statistics(%(grid_codes)s::bpchar[])
