-- title: Protocols and studies without outcomes
-- question: Which studies are protocols or conceptual papers, or have outcomes that are not applicable (no
--   evaluation results to report)?
-- paper: Table 2: Drummond et al. [40] "N/A (protocol)" for both outcome columns; Table 3: Hauken et al. [54] and
-- paper: Vella et al. [64] "Not applicable" for both outcome columns.
SELECT s.ref_number, s.study_label, s.age_band, s.evidence_type, s.mh_outcome, c.cmo_number, c.ss_effect,
       c.child_effect
FROM studies s
JOIN cmo c USING (study_id)
WHERE s.evidence_type IN ('protocol', 'conceptual')
   OR c.ss_effect = 'not_applicable'
   OR c.child_effect = 'not_applicable'
ORDER BY s.ref_number, c.cmo_number
