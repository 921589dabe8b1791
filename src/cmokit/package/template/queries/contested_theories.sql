-- title: Contested theories
-- question: Which theories have both supporting and refuting evidence, which studies take each side, and which
--   refine them? One row per theory, with its recorded status.
SELECT
    t.theory_id,
    t.kind,
    t.label,
    t.status,
    list(DISTINCT e.study_id ORDER BY e.study_id) FILTER (WHERE e.judgement = 'supports') AS supporting,
    list(DISTINCT e.study_id ORDER BY e.study_id) FILTER (WHERE e.judgement = 'refutes') AS refuting,
    coalesce(list(DISTINCT e.study_id ORDER BY e.study_id) FILTER (WHERE e.judgement = 'refines'), []) AS refining
FROM theories t
JOIN theory_evidence e USING (theory_id)
GROUP BY t.theory_id, t.kind, t.label, t.status
HAVING count(*) FILTER (WHERE e.judgement = 'supports') > 0 AND count(*) FILTER (WHERE e.judgement = 'refutes') > 0
ORDER BY t.theory_id
