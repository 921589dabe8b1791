-- title: Studies reporting negative or no effects
-- question: Which studies report a negative (harmful) effect, or no change, on social support or on child mental
--   health? negative_for: social_support when the effect on support was worse (or mixed with a reported adverse
--   effect), child likewise; no_effect_on: where the effect was no_change ('; '-separated, like the package's codes).
-- paper: Infants: findings on social support "favoured the control group" [33]. Children: "two studies [43,62],
-- paper: including a high-quality one, reported negative effects on child behaviour, emotional problems or school
-- paper: adjustment". Adolescents: "one study [53] reported negative effects among boys"; "Two studies reported no
-- paper: effects on perceived social support [46,50]".
SELECT
    s.ref_number,
    s.study_label,
    s.age_band,
    c.cmo_number,
    c.ss_effect,
    c.child_effect,
    c.adverse_effect,
    concat_ws('; ',
        CASE WHEN c.ss_effect = 'worse' OR (c.adverse_effect AND c.ss_effect = 'mixed') THEN 'social_support' END,
        CASE WHEN c.child_effect = 'worse' OR (c.adverse_effect AND c.child_effect = 'mixed') THEN 'child' END
    ) AS negative_for,
    concat_ws('; ',
        CASE WHEN c.ss_effect = 'no_change' THEN 'social_support' END,
        CASE WHEN c.child_effect = 'no_change' THEN 'child' END
    ) AS no_effect_on
FROM studies s
JOIN cmo c USING (study_id)
WHERE s.inclusion_status = 'included'
  AND (c.adverse_effect OR c.ss_effect IN ('worse', 'no_change') OR c.child_effect IN ('worse', 'no_change'))
ORDER BY s.ref_number, c.cmo_number
