-- title: Studies by support recipient
-- question: Which studies mobilise the social support of a given recipient (child, parent or family),
--   optionally within one age band?
-- param recipient: whose support: child, parent or family
-- param band = NULL: age band code (infants, children, adolescents); default every band
-- paper: Children: "Only one study [41] referred to social support as mobilised by children directly".
-- paper: Infants: "The study by Stubbs and Achat (2016) [34] was the only one that targeted the whole families".
SELECT ref_number, study_label, age_band, support_recipient, intervention_type
FROM studies
WHERE inclusion_status = 'included'
  AND support_recipient = $recipient
  AND ($band IS NULL OR age_band = $band)
ORDER BY age_band, paper_table_row NULLS LAST, ref_number
