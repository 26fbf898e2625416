-- The dispatch rule for a category in an area: the most specific one wins, a subclass
-- rule over a class rule, then a community rule over a subdistrict rule over a
-- county-wide rule. A rule sending the task to the grid applies only in a grid.
CREATE OR REPLACE FUNCTION event_dispatch_rule(county bpchar, category text,
                                               subdistrict bpchar, community bpchar,
                                               in_grid boolean)
RETURNS TABLE (rule_id bigint, assignee_kind text, department_id bigint,
               department_code text, department_name text, deadline_hours integer,
               category_code text, area_code text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.rule_id, r.assignee_kind, r.department_id, d.department_code, d.name,
           r.deadline_hours, r.category_code, r.area_code
    FROM dispatch_rules AS r
    LEFT JOIN departments AS d ON d.department_id = r.department_id
    WHERE r.county_code = county
      AND r.category_code IN (category, left(category, 2))
      AND r.area_code IN (rtrim(county), rtrim(subdistrict), rtrim(community))
      AND (r.assignee_kind = 'department' OR in_grid)
    ORDER BY length(r.category_code) DESC, length(r.area_code) DESC
    LIMIT 1
$$;
