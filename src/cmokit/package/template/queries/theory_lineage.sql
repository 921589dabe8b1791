-- title: Theory lineage
-- question: Which theory refines which? Every theory with the line it descends from: its root (a theory that
--   refines none), its depth below the root and the path from the root down to it, with the number of evidence
--   rows linked to it. Rows grouped by root, in path order.
-- param root = NULL: a root theory_id, to show only its line; default every line
SELECT
    l.root_id,
    l.depth,
    l.theory_id,
    l.kind,
    l.label,
    l.status,
    l.refines,
    l.path,
    (SELECT count(*) FROM evidence e WHERE e.theory_id = l.theory_id) AS n_evidence
FROM theory_lineage l
WHERE ($root IS NULL OR l.root_id = $root)
ORDER BY l.root_id, l.path
