-- title: Search the CMO text
-- question: Which studies mention a phrase (case-insensitive, literal) in their intervention components, context,
--   mechanisms, social-support outcomes or child outcomes, and in which of them ('; '-separated)?
-- param text: the phrase to look for
-- param band = NULL: age band code; default every band
-- paper: Infants: "One intervention targeted women with postpartum depression [33]"; "In three studies [33,35,36],
-- paper: mothers received the intervention alongside professional (mental) health services (Table 1)".
SELECT
    s.ref_number,
    s.study_label,
    s.age_band,
    c.cmo_number,
    concat_ws('; ',
        CASE WHEN contains(lower(c.intervention_components), lower($text)) THEN 'intervention_components' END,
        CASE WHEN contains(lower(c.context), lower($text)) THEN 'context' END,
        CASE WHEN contains(lower(c.mechanisms), lower($text)) THEN 'mechanisms' END,
        CASE WHEN contains(lower(c.ss_outcomes), lower($text)) THEN 'ss_outcomes' END,
        CASE WHEN contains(lower(c.child_outcomes), lower($text)) THEN 'child_outcomes' END
    ) AS found_in
FROM studies s
JOIN cmo c USING (study_id)
WHERE ($band IS NULL OR s.age_band = $band)
  AND found_in <> ''
ORDER BY s.age_band, s.paper_table_row NULLS LAST, s.ref_number, c.cmo_number
