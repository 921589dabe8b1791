-- title: Included studies no theory draws on
-- question: Which included studies have no evidence row, so that no theory of the synthesis draws on them? Rows in
--   the order of the paper's tables.
-- paper: Results: "In many studies, social support was not well-conceptualised, and many studies were weak in
-- paper: explaining how social support was mobilised or expected to lead to improved children's mental health."
SELECT
    s.ref_number,
    s.study_label,
    s.age_band,
    s.paper_table,
    s.paper_table_row
FROM studies s
WHERE s.inclusion_status = 'included'
  AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.study_id = s.study_id)
ORDER BY s.paper_table NULLS LAST, s.paper_table_row NULLS LAST, s.study_id
