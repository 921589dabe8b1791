"""Stage 3, dual extraction: blank forms (:mod:`.template`), normalising and matching rows (:mod:`.normalise`,
:mod:`.matching`), agreement statistics (:mod:`.agreement`), the comparison (:mod:`.compare`, :mod:`.results`,
:mod:`.text`), the conflicts file (:mod:`.conflicts`) and the merge into the consensus (:mod:`.reconcile`)."""
