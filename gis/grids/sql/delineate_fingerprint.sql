-- What a proposal was made from: the community's grids and buildings (codes, outlines,
-- households). Applying a proposal whose fingerprint no longer matches is refused.
SELECT md5(
    coalesce((
        SELECT string_agg(grid_code || grid_type || md5(ST_AsEWKB(geom)), ',' ORDER BY grid_code)
        FROM grids WHERE community_code = %(community_code)s
    ), '')
    || '|' ||
    coalesce((
        SELECT string_agg(
            building_code || ':' || households || md5(ST_AsEWKB(geom)), ',' ORDER BY building_code
        )
        FROM buildings WHERE community_code = %(community_code)s
    ), '')
)
