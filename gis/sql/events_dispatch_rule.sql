-- The dispatch rule for an event: the most specific one wins, a subclass rule over a
-- class rule, then a community rule over a subdistrict rule over a county-wide rule. A
-- rule sending the task to the grid only applies to events that lie in a grid.
SELECT r.rule_id, r.assignee_kind, r.department_id, d.department_code, d.name,
       r.deadline_hours, r.category_code, r.area_code
FROM events AS e
JOIN dispatch_rules AS r
  ON r.county_code = e.county_code
 AND r.category_code IN (e.category_code, left(e.category_code, 2))
 AND r.area_code IN (rtrim(e.county_code), rtrim(e.subdistrict_code), rtrim(e.community_code))
LEFT JOIN departments AS d ON d.department_id = r.department_id
WHERE e.event_id = %(event_id)s
  AND (r.assignee_kind = 'department' OR e.grid_code IS NOT NULL)
ORDER BY length(r.category_code) DESC, length(r.area_code) DESC
LIMIT 1
