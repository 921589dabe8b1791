"""The API for a review's own rules (``validators/*.py``): ``from cmokit.rules import Context, Rule, Validator``.

This path is stable for review authors; the engine behind it lives in :mod:`cmokit.validation.rules`.
"""

from cmokit.validation.rules import ERROR, WARNING, Context, Rule, Validator

__all__ = ["ERROR", "WARNING", "Context", "Rule", "Validator"]
