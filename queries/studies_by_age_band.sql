-- title: Studies by age band
-- question: How many included studies does each age band hold, which are they (the paper's reference
--   numbers), and how many bands were inferred rather than read from reported ages?
-- paper: Results: "Four studies [33-36]" (infants), "thirteen studies [32,37-48]" (children),
-- paper: "Sixteen studies [49-64]" (adolescents); "Thirty-three studies were included [32-64]".
SELECT
    age_band,
    count(*) AS studies,
    list(ref_number ORDER BY ref_number) AS refs,
    count(*) FILTER (WHERE age_band_basis = 'inferred') AS inferred_band
FROM studies
WHERE inclusion_status = 'included'
GROUP BY age_band
ORDER BY age_band
