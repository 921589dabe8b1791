-- title: Resource inputs and costs
-- question: What resource inputs and costs does the review attribute to each study (optionally of one kind), and
--   where does it say so?
-- param input_type = NULL: kind of input (staff_time, volunteers, training, travel, childcare, money,
--   existing_services, implementation, cost_discussion); default every kind
-- paper: Results: "substantial time inputs from staff employed by public sector agencies [38,42,47]"; "additional
-- paper: investment was required to fund travelling costs and childcare [55]"; "Only one study reported intervention
-- paper: costs, and those were USD 10,000 to 12,000 per child per year [41]".
SELECT
    s.ref_number,
    s.study_label,
    s.age_band,
    r.input_number,
    r.input_type,
    r.description,
    r.amount_min,
    r.amount_max,
    r.currency,
    r.unit,
    r.source
FROM resource_inputs r
JOIN studies s USING (study_id)
WHERE $input_type IS NULL OR r.input_type = $input_type
ORDER BY r.input_type, s.ref_number, r.input_number
