-- title: Evidence for one theory
-- question: Which studies does a theory draw on, with what judgement (supports, refutes, refines, illustrates), how
--   relevant and rigorous is each piece of evidence, and where does the quote come from? Rows by judgement, then by
--   reference number. The theory's own statement is in the theories table.
-- param theory: the theory_id (see the theories table, or the theory_lineage named query)
-- paper: Infants: "Three studies [34-36] reported increased social support ... One moderate-quality study [33] ...
-- paper: reported findings in relation to social support that favoured the control group" (theory
-- paper: infants-support-increase: [34-36] support it, [33] refutes it).
SELECT
    e.ref_number,
    e.study_label,
    e.age_band,
    e.evidence_number,
    e.cmo_number,
    e.judgement,
    e.relevance,
    e.rigour,
    e.quality,
    e.quote,
    e.locator,
    e.justification
FROM theory_evidence e
WHERE e.theory_id = $theory
ORDER BY e.judgement, e.ref_number, e.evidence_number
