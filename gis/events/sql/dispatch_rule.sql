-- The dispatch rule for a stored event (the rule is the database function
-- functions/event_dispatch_rule.sql, which intake uses too).
SELECT rule.rule_id, rule.assignee_kind, rule.department_id, rule.department_code,
       rule.department_name, rule.deadline_hours, rule.category_code, rule.area_code
FROM events AS e
CROSS JOIN LATERAL event_dispatch_rule(
    e.county_code, e.category_code, e.subdistrict_code, e.community_code,
    e.grid_code IS NOT NULL) AS rule
WHERE e.event_id = %(event_id)s
