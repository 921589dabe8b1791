-- title: Intervention types
-- question: Which kinds of intervention were used (our coding of the tables' intervention components), in how many
--   studies, and which? A study with several kinds counts once under each.
-- paper: Results: "More than a third of the interventions were mentoring, peer support, or a combination of the two."
SELECT
    CAST(t.code AS VARCHAR) AS intervention_type,
    count(DISTINCT s.study_id) AS studies,
    list(DISTINCT s.ref_number ORDER BY s.ref_number) AS refs
FROM studies_intervention_type t
JOIN studies s USING (study_id)
WHERE s.inclusion_status = 'included'
GROUP BY t.code
ORDER BY studies DESC, intervention_type
