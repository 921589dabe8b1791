"""Cohen's kappa and Krippendorff's alpha equal scikit-learn and the krippendorff package on the same data."""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from cmokit.extraction.agreement import cohen_kappa, krippendorff_alpha_nominal, landis_koch, observed_agreement


def sk_kappa(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohen_kappa_score(a, b)


@pytest.mark.parametrize("seed", range(8))
def test_kappa_equals_sklearn_on_random_data(seed):
    rng = np.random.default_rng(seed)
    cats = ["yes", "no", "cant_tell", "NR"][: 2 + seed % 3]
    a = rng.choice(cats, size=50).tolist()
    b = [x if rng.random() < 0.6 else rng.choice(cats) for x in a]
    assert cohen_kappa(a, b) == pytest.approx(sk_kappa(a, b), abs=1e-12)


def test_kappa_perfect_and_chance_and_worse_than_chance():
    assert cohen_kappa(["x", "y", "x"], ["x", "y", "x"]) == 1.0 == sk_kappa(["x", "y", "x"], ["x", "y", "x"])
    # chance: rater A always says x; observed = expected agreement
    a, b = ["x", "x", "x", "x"], ["x", "y", "x", "y"]
    assert cohen_kappa(a, b) == 0.0 == sk_kappa(a, b)
    a, b = ["x", "y"], ["y", "x"]
    assert cohen_kappa(a, b) == -1.0 == sk_kappa(a, b)


def test_kappa_one_category_is_undefined_where_sklearn_gives_nan():
    a = b = ["improved"] * 5
    assert math.isnan(sk_kappa(a, b))
    assert cohen_kappa(a, b) is None
    assert observed_agreement(a, b) == 1.0
    assert landis_koch(None) == "undefined"


def test_kappa_empty_is_undefined_where_sklearn_raises():
    with pytest.raises(ValueError):
        cohen_kappa_score([], [])
    assert cohen_kappa([], []) is None
    assert observed_agreement([], []) is None


@pytest.mark.parametrize(("kappa", "label"), [(-0.01, "poor"), (0.0, "slight"), (0.2, "slight"), (0.21, "fair"),
                                              (0.4, "fair"), (0.41, "moderate"), (0.6, "moderate"),
                                              (0.61, "substantial"), (0.8, "substantial"), (0.81, "almost perfect"),
                                              (1.0, "almost perfect")])
def test_landis_koch_bands(kappa, label):
    assert landis_koch(kappa) == label


def _kr(units):
    """Our units (one list of rater values per unit, None missing) as the krippendorff package's matrix."""
    values = sorted({v for u in units for v in u if v is not None})
    code = {v: i for i, v in enumerate(values)}
    data = np.array([[np.nan if u[r] is None else code[u[r]] for u in units] for r in range(len(units[0]))],
                    dtype=float)
    return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")


@pytest.mark.parametrize("seed", range(8))
def test_alpha_equals_krippendorff_with_missing_values(seed):
    rng = np.random.default_rng(100 + seed)
    cats = ["a", "b", "c", "d"][: 2 + seed % 3]
    units = []
    for _ in range(40):
        truth = rng.choice(cats)
        unit = [truth if rng.random() < 0.7 else rng.choice(cats) for _ in range(3)]
        unit = [None if rng.random() < 0.15 else v for v in unit]
        units.append(unit)
    assert krippendorff_alpha_nominal(units) == pytest.approx(_kr(units), abs=1e-12)


def test_alpha_two_raters_perfect_and_disagreement():
    assert krippendorff_alpha_nominal([["x", "x"], ["y", "y"]]) == 1.0 == _kr([["x", "x"], ["y", "y"]])
    units = [["x", None], ["x", "y"]]
    assert krippendorff_alpha_nominal(units) == pytest.approx(_kr(units)) == 0.0


def test_alpha_degenerate_cases_are_undefined_where_krippendorff_raises():
    one_value = [["x", "x", "x"], ["x", "x", None]]
    with pytest.raises(ValueError):
        _kr(one_value)
    assert krippendorff_alpha_nominal(one_value) is None
    assert krippendorff_alpha_nominal([]) is None
    assert krippendorff_alpha_nominal([["x", None, None], [None, "y", None]]) is None  # nothing pairable
