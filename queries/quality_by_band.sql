-- title: Quality by age band
-- question: How were the studies of each age band rated for quality (MMAT overall rating: low, moderate, high; the
--   lowest where several appraisers rated a study)? Unrated studies show their missing-value code (NR...).
-- paper: Infants: "One moderate-quality study [33]"; "Only one low-quality study [35]". The per-study ratings of the
-- paper: other studies are in the supplementary tables, which are not part of the source (NR).
WITH rated AS (
    SELECT
        s.age_band,
        s.ref_number,
        coalesce(
            CAST(o.quality AS VARCHAR),
            (SELECT min(m.overall_rating) FROM missing.appraisal m WHERE m.study_id = s.study_id),
            'no appraisal'
        ) AS quality
    FROM studies s
    JOIN study_overview o USING (study_id)
    WHERE s.inclusion_status = 'included'
)
SELECT age_band, quality, count(*) AS studies, list(ref_number ORDER BY ref_number) AS refs
FROM rated
GROUP BY age_band, quality
ORDER BY age_band, CASE quality WHEN 'low' THEN 1 WHEN 'moderate' THEN 2 WHEN 'high' THEN 3 ELSE 4 END, quality
