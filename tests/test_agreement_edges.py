"""The agreement statistics at their edges: mismatched raters, the Landis & Koch band limits, alpha from its
coincidences (beside tests/test_agreement.py, which checks them against scikit-learn and krippendorff)."""

from __future__ import annotations

import pytest

from cmokit.extraction.agreement import cohen_kappa, landis_koch, observed_agreement


def test_observed_agreement_and_mismatched_raters():
    assert observed_agreement(["a", "b", "a", "c"], ["a", "b", "c", "c"]) == 0.75
    assert observed_agreement([], []) is None
    for f in (observed_agreement, cohen_kappa):
        with pytest.raises(ValueError, match="the same number of items"):
            f(["a"], ["a", "b"])


def test_landis_koch_edges_and_undefined():
    assert [landis_koch(k) for k in (None, -0.01, 0.0, 0.2, 0.2000001, 0.4, 0.6, 0.8, 0.81, 1.0)] == [
        "undefined", "poor", "slight", "slight", "fair", "fair", "moderate", "substantial", "almost perfect",
        "almost perfect"]


def test_alpha_from_coincidences_directly():
    from cmokit.extraction.agreement import alpha_from_coincidences

    assert alpha_from_coincidences(4.0, [2, 2]) == 1.0
    assert alpha_from_coincidences(0.0, [2, 2]) == pytest.approx(1 - 3 * 4 / (16 - 8))
    assert alpha_from_coincidences(0.0, []) is None and alpha_from_coincidences(3.0, [3, 0]) is None


def test_the_mismatch_error_is_exactly_this_text():
    for f in (observed_agreement, cohen_kappa):
        with pytest.raises(ValueError, match=r"^the two raters must rate the same number of items$"):
            f(["a", "b"], ["a"])


def test_landis_koch_tolerance_and_beyond_one():
    """A kappa within 1e-12 above a band limit (floating-point noise) is still in that band, inclusive; anything
    above 1 (impossible for a kappa, but a float) is 'almost perfect'."""
    assert [landis_koch(upper + 1e-12) for upper in (0.2, 0.4, 0.6, 0.8)] == ["slight", "fair", "moderate",
                                                                              "substantial"]
    assert [landis_koch(upper + 1e-11) for upper in (0.2, 0.4, 0.6, 0.8)] == ["fair", "moderate", "substantial",
                                                                              "almost perfect"]
    assert landis_koch(1.0 + 1e-9) == "almost perfect" and landis_koch(7.0) == "almost perfect"


def test_kappa_of_one_pair_and_of_a_code_only_one_rater_used_equals_sklearn():
    from sklearn.metrics import cohen_kappa_score

    assert cohen_kappa(["a"], ["b"]) == cohen_kappa_score(["a"], ["b"]) == 0.0
    for a, b in ((["a", "b", "c", "a"], ["a", "b", "b", "a"]), (["x", "y", "y"], ["z", "y", "y"])):
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
