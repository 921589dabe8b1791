-- title: Sources and types of support mobilised
-- question: Which sources (family, peers, mentors, professionals...) and types (emotional, informational, practical,
--   appraisal, companionship) of social support do the studies mobilise, by age band?
-- param band = NULL: age band code (infants, children, adolescents); default every band
-- paper: Infants: "All four interventions addressed some form of informational support"; "one specifically
-- paper: addressed all types of social support (i.e. emotional, practical and informational support) [34]".
WITH codes AS (
    SELECT DISTINCT study_id, 'source' AS kind, CAST(code AS VARCHAR) AS code FROM cmo_support_sources
    UNION ALL
    SELECT DISTINCT study_id, 'type' AS kind, CAST(code AS VARCHAR) AS code FROM cmo_support_types
)
SELECT
    s.age_band,
    c.kind,
    c.code,
    count(*) AS studies,
    list(s.ref_number ORDER BY s.ref_number) AS refs
FROM codes c
JOIN studies s USING (study_id)
WHERE s.inclusion_status = 'included' AND ($band IS NULL OR s.age_band = $band)
GROUP BY s.age_band, c.kind, c.code
ORDER BY s.age_band, c.kind, studies DESC, c.code
