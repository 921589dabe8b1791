"""Stage 2, checking a review: cell and key checks (:mod:`.cells`, :mod:`.keys`), the engine of the review's own
rules (:mod:`.rules`), the whole run (:mod:`.validate`) and the rendering of its report (:mod:`.render`)."""

from cmokit.validation.validate import validate_review

__all__ = ["validate_review"]
