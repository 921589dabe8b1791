-- title: Studies in middle- or low-income countries
-- question: Which studies took place in middle- or low-income countries, in which age band, and where does the
--   paper say so?
-- paper: Results: "Only four studies [43,49,51,56] were conducted in middle-income countries (South Africa, India and
-- paper: Pakistan), whilst the rest were from high-income countries"; infants: "All four took place in high-income
-- paper: countries"; adolescents: "Three studies [49,51,56] took place in low- and middle-income countries".
SELECT ref_number, study_label, age_band, income_group, country, income_group_basis
FROM studies
WHERE inclusion_status = 'included' AND income_group IN ('middle', 'low')
ORDER BY ref_number
