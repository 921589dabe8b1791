-- title: Studies with an inferred or decided age band
-- question: Which studies' age bands were not derived from reported ages (inferred from background information, or
--   decided by a reviewer on a tie), and why?
-- paper: Children: "two studies [37,39] that did not specify the age, but where we inferred from the background
-- paper: information that they referred primarily to children in early or mid-development ages".
SELECT ref_number, study_label, age_band, age_band_basis, age_band_decided_by, age_band_justification
FROM studies
WHERE age_band_basis IN ('inferred', 'reviewer_decision')
ORDER BY ref_number
