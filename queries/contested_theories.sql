-- title: Contested theories
-- question: Which theories have both supporting and refuting evidence, which studies take each side (reference
--   numbers), and which refine them? One row per theory, with its recorded status.
-- paper: Infants: "Only one low-quality study [35] reported positive effects on mother-infant attachment ... Two
-- paper: studies [34,36] reported that design errors might have explained the lack of evidence on infant outcomes".
SELECT
    t.theory_id,
    t.kind,
    t.label,
    t.status,
    list(DISTINCT e.ref_number ORDER BY e.ref_number) FILTER (WHERE e.judgement = 'supports') AS supporting_refs,
    list(DISTINCT e.ref_number ORDER BY e.ref_number) FILTER (WHERE e.judgement = 'refutes') AS refuting_refs,
    coalesce(list(DISTINCT e.ref_number ORDER BY e.ref_number) FILTER (WHERE e.judgement = 'refines'), [])
        AS refining_refs
FROM theories t
JOIN theory_evidence e USING (theory_id)
GROUP BY t.theory_id, t.kind, t.label, t.status
HAVING count(*) FILTER (WHERE e.judgement = 'supports') > 0 AND count(*) FILTER (WHERE e.judgement = 'refutes') > 0
ORDER BY t.theory_id
