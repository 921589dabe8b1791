-- title: Social-support effect by child-outcome effect
-- question: Did social support rise where child outcomes improved? Cross-tabulation of CMO configurations by the
--   direction of the effect on social support (rows) and on child mental health (columns), optionally for one band.
-- param band = NULL: age band code (infants, children, adolescents); default every band
-- paper: Adolescents: "Most studies that reported positive effects on social support also reported positive effects
-- paper: on depression, anxiety or behaviour, or on indicators of mental health ... a number of studies reported mixed
-- paper: findings"; children: "The vast majority of studies reported increases in parents' social support".
SELECT
    c.ss_effect,
    count(*) FILTER (WHERE c.child_effect = 'improved') AS child_improved,
    count(*) FILTER (WHERE c.child_effect = 'mixed') AS child_mixed,
    count(*) FILTER (WHERE c.child_effect = 'no_change') AS child_no_change,
    count(*) FILTER (WHERE c.child_effect = 'worse') AS child_worse,
    count(*) FILTER (WHERE c.child_effect = 'not_reported') AS child_not_reported,
    count(*) FILTER (WHERE c.child_effect = 'not_applicable') AS child_not_applicable,
    count(*) FILTER (WHERE c.child_effect IS NULL) AS child_missing,
    count(*) AS total
FROM cmo c
JOIN studies s USING (study_id)
WHERE s.inclusion_status = 'included' AND ($band IS NULL OR s.age_band = $band)
GROUP BY c.ss_effect
ORDER BY c.ss_effect NULLS LAST
