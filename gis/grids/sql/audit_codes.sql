-- Grid codes for the code check: each audited grid's code and whether the community its
-- code names exists (the foreign key guarantees it unless constraints were bypassed).
-- The format rules beyond the schema's CHECKs are applied by gis.codes, in Python.
SELECT rtrim(a.grid_code), rtrim(a.community_code),
       EXISTS (SELECT FROM communities AS c WHERE c.community_code = a.community_code)
FROM audit_grids AS a
WHERE a.in_scope
ORDER BY a.grid_code
