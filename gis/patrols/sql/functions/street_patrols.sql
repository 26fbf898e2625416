-- Street segments patrolled or not, month by month: each street segment of patrol_targets
-- once for every month its county has patrols counted, with whether a track passed it
-- within R that month (refresh_patrol_coverage), how many did, and when last. Served as
-- the OGC collection street_patrols; the id is the segment's target id × 1000 + the
-- month's number since January 2000, so one segment's months sort together.
CREATE OR REPLACE VIEW street_patrols AS
SELECT t.target_id * 1000
           + ((extract(year FROM m.month) - 2000) * 12 + extract(month FROM m.month) - 1)::bigint
           AS patrol_id,
       t.target_id, t.county_code, t.grid_code, t.ref AS segment, t.length_m,
       to_char(m.month, 'YYYY-MM') AS month,
       (m.month::timestamp AT TIME ZONE 'Asia/Shanghai') AS month_start,
       p.target_id IS NOT NULL AS patrolled,
       coalesce(p.passes, 0) AS passes,
       p.last_at AS last_patrolled_at,
       t.geom
FROM patrol_targets AS t
JOIN (SELECT DISTINCT pt.county_code, pt.month FROM patrolled_targets AS pt) AS m
  ON m.county_code = t.county_code
LEFT JOIN patrolled_targets AS p ON p.target_id = t.target_id AND p.month = m.month
WHERE t.kind = 'street';
