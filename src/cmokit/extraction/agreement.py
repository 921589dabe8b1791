"""Agreement statistics between extractors: Cohen's kappa, Landis & Koch labels, Krippendorff's alpha (nominal).

Small formulas, written out here so that cmokit does not depend on scikit-learn or the ``krippendorff``
package at run time; the tests check both functions against those packages on the same data.

Degenerate cases (what cmokit returns, and what the reference packages do on the same data):

========================================  ==================  ==========================================
case                                      cmokit              reference package
========================================  ==================  ==========================================
no pairs at all (empty)                   ``None``            sklearn raises ValueError (empty input)
both raters used one and the same code    ``None``            sklearn returns ``nan`` (0/0, warning)
(expected agreement = 1)
perfect agreement, two or more codes      ``1.0``             ``1.0``
agreement exactly at chance level         ``0.0``             ``0.0``
alpha: no unit with two values            ``None``            krippendorff raises ValueError
alpha: one value in the whole domain      ``None``            krippendorff raises ValueError
========================================  ==================  ==========================================

``None`` means *undefined*: reports print it as ``—`` (text) or ``null`` (JSON), with the label
``undefined``; the observed agreement is still reported beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

# Landis & Koch (1977): upper bound of each band -> label; below 0 is "poor".
LANDIS_KOCH: tuple[tuple[float, str], ...] = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.00, "almost perfect"),
)


def observed_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Share of pairs with equal values; ``None`` for no pairs."""
    if len(a) != len(b):
        raise ValueError("the two raters must rate the same number of items")
    if not a:
        return None
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def kappa_from_counts(n: int, agree: int, counts_a: dict, counts_b: dict) -> float | None:
    """Cohen's kappa from the number of pairs, of agreeing pairs and each rater's category counts.

    ``kappa = (po - pe) / (1 - pe)`` with ``po = agree / n`` and ``pe = sum_c pa(c) * pb(c)``.
    Returns ``None`` when undefined (``n == 0`` or ``pe == 1``, i.e. both raters used one and the same code).
    """
    if n == 0:
        return None
    # Exact arithmetic on integers first, so that perfect and chance agreement come out exactly 1.0 and 0.0.
    pe_num = sum(c * counts_b.get(k, 0) for k, c in counts_a.items())  # pe = pe_num / n**2
    n2 = n * n
    if pe_num == n2:
        return None
    return (agree * n - pe_num) / (n2 - pe_num)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's (unweighted) kappa of two raters' labels for the same items; ``None`` when undefined."""
    if len(a) != len(b):
        raise ValueError("the two raters must rate the same number of items")
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    return kappa_from_counts(len(a), agree, Counter(a), Counter(b))


def landis_koch(kappa: float | None) -> str:
    """The Landis & Koch (1977) label of a kappa: poor < 0 ≤ slight ≤ .20 < fair ≤ .40 < moderate ≤ .60 <
    substantial ≤ .80 < almost perfect; ``undefined`` for ``None``."""
    if kappa is None:
        return "undefined"
    if kappa < 0:
        return "poor"
    for upper, label in LANDIS_KOCH:
        if kappa <= upper + 1e-12:
            return label
    return "almost perfect"


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data.

    ``units`` holds, for every unit (item), the values the raters gave it; ``None`` is a missing value.
    Units with fewer than two values are not pairable and are left out. Built on the coincidence matrix:
    ``alpha = 1 - (n - 1) * (n - sum_c o_cc) / (n**2 - sum_c n_c**2)`` where ``o_cc`` are the diagonal
    coincidences and ``n_c`` the marginal totals. Returns ``None`` when undefined (no pairable unit, or
    a single value in the whole domain).
    """
    diagonal = 0.0
    marginal: Counter = Counter()
    for unit in units:
        values = [v for v in unit if v is not None]
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        marginal.update(counts)
        diagonal += sum(c * (c - 1) for c in counts.values()) / (m - 1)
    return alpha_from_coincidences(diagonal, marginal.values())


def alpha_from_coincidences(diagonal: float, marginals: Iterable[int]) -> float | None:
    """Nominal alpha from the sum of the diagonal coincidences and the marginal totals of pairable values.

    ``None`` when undefined (no pairable value, or a single value in the whole domain).
    """
    marginals = [int(c) for c in marginals if c]
    n = sum(marginals)
    if n == 0 or len(marginals) < 2:
        return None
    sq = sum(c * c for c in marginals)
    return 1.0 - (n - 1) * (n - diagonal) / (n * n - sq)
