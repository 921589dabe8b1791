-- title: Included studies no theory draws on
-- question: Which included studies have no evidence row, so that no theory of the synthesis draws on them yet?
SELECT
    s.study_id,
    s.study_label,
    s.year,
    s.evidence_type
FROM studies s
WHERE s.inclusion_status = 'included'
  AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.study_id = s.study_id)
ORDER BY s.study_id
