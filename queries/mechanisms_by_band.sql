-- title: Mechanisms by age band
-- question: Which mechanisms for improved child mental health did the studies of one age band propose, with the
--   social-support and child outcomes they reported? Rows in the order of the paper's table for the band.
-- param band: age band code (infants, children, adolescents)
-- paper: Infants: "Studies described how social support was expected to protect against negative impacts of
-- paper: depressive symptoms and stress, improve mother-infant interactions, parental self-efficacy..." (Table 1).
SELECT
    s.paper_table_row AS table_row,
    s.ref_number,
    s.study_label,
    c.cmo_number,
    c.mechanisms,
    c.ss_effect,
    c.child_effect
FROM studies s
JOIN cmo c USING (study_id)
WHERE s.inclusion_status = 'included' AND s.age_band = $band
ORDER BY s.paper_table_row NULLS LAST, s.study_id, c.cmo_number
