-- title: Evidence for one theory
-- question: Which studies does a theory draw on, with what judgement (supports, refutes, refines, illustrates), how
--   relevant and rigorous is each piece of evidence, and where does the quote come from? Rows by judgement, then by
--   study. The theory's own statement is in the theories table.
-- param theory: the theory_id (see the theories table, or the theory_lineage named query)
SELECT
    e.study_id,
    e.study_label,
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
ORDER BY e.judgement, e.study_id, e.evidence_number
