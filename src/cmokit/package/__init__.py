"""Stage 1, the review folder: its descriptor and Table Schemas (:mod:`.model`), where it is (:mod:`.locate`),
the one CSV reader every command uses (:mod:`.reader`) and reviewers' submission folders (:mod:`.submission`)."""

from cmokit.package.model import DESCRIPTOR, Field, Resource, Review

__all__ = ["DESCRIPTOR", "Field", "Resource", "Review"]
