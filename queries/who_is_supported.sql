-- title: Who is supported, by age band
-- question: Whose social support do the interventions mobilise (child, parent, whole family) in each age band
--   and overall (age_band = all)?
-- paper: Results: "Interventions most commonly mobilised the social support of parents, followed by those studies
-- paper: that were about mobilising social support of children. Only a few were about increasing social support of
-- paper: the family as a whole." Infants: "[34] was the only one that targeted the whole families".
-- paper: Children: "Only one study [41] referred to social support as mobilised by children directly".
SELECT
    coalesce(CAST(s.age_band AS VARCHAR), 'all') AS age_band,
    coalesce(CAST(s.support_recipient AS VARCHAR), 'NR') AS support_recipient,
    count(*) AS studies,
    list(s.ref_number ORDER BY s.ref_number) AS refs
FROM studies s
WHERE s.inclusion_status = 'included'
GROUP BY GROUPING SETS ((s.age_band, s.support_recipient), (s.support_recipient))
ORDER BY grouping(s.age_band), s.age_band, studies DESC, s.support_recipient
