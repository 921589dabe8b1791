-- title: Studies by direction of effect
-- question: Which studies report a given direction of effect on social support and/or on child mental health
--   (improved, mixed, no_change, worse, not_reported, not_applicable), optionally within one age band?
-- param band = NULL: age band code; default every band
-- param ss_effect = NULL: effect on social support; default any
-- param child_effect = NULL: effect on child mental health; default any
-- paper: Infants: "Three studies [34-36] reported increased social support"; "Only one low-quality study [35]
-- paper: reported positive effects on mother-infant attachment". Children: "Two studies [32,37] did not report
-- paper: child outcomes". Adolescents: "More than half the studies reported evidence of an increase in social support".
SELECT s.ref_number, s.study_label, s.age_band, c.cmo_number, c.ss_effect, c.child_effect, c.adverse_effect
FROM studies s
JOIN cmo c USING (study_id)
WHERE s.inclusion_status = 'included'
  AND ($band IS NULL OR s.age_band = $band)
  AND ($ss_effect IS NULL OR c.ss_effect = $ss_effect)
  AND ($child_effect IS NULL OR c.child_effect = $child_effect)
ORDER BY s.age_band, s.paper_table_row NULLS LAST, s.ref_number, c.cmo_number
