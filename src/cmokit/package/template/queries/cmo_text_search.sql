-- title: Search the configurations' text
-- question: Which configurations mention a phrase (case-insensitive, literal) in their intervention components,
--   context, mechanisms or outcomes, and in which of them ('; '-separated)?
-- param text: the phrase to look for
SELECT
    s.study_id,
    s.study_label,
    c.cmo_number,
    concat_ws('; ',
        CASE WHEN contains(lower(c.intervention_components), lower($text)) THEN 'intervention_components' END,
        CASE WHEN contains(lower(c.context), lower($text)) THEN 'context' END,
        CASE WHEN contains(lower(c.mechanisms), lower($text)) THEN 'mechanisms' END,
        CASE WHEN contains(lower(c.outcomes), lower($text)) THEN 'outcomes' END
    ) AS found_in
FROM studies s
JOIN cmo c USING (study_id)
WHERE found_in <> ''
ORDER BY s.study_id, c.cmo_number
