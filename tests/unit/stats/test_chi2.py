"""The chi-square tail and quantile computed without scipy.

We test these aspects:
- ``chi2_sf`` equals ``scipy.special.chdtrc`` to a relative 1e-9 on both sides of the series/fraction switch;
- ``chi2_isf`` equals ``scipy.special.chdtri`` to a relative 1e-9, from 1 to 10,000 degrees of freedom
  and tails from 0.5 to 1e-12, and inverts ``chi2_sf``;
- bad arguments are refused with a message naming them.
"""

from __future__ import annotations

import pytest
from scipy import special

from modelmonitor.stats.chi2 import chi2_isf, chi2_sf

DOFS = [*range(1, 41), 55, 99, 150, 333, 1000, 2500, 10_000]
TAILS = [0.5, 0.1, 0.05, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12]


@pytest.mark.parametrize("dof", DOFS)
def test_tail_matches_scipy(dof: int) -> None:
    for x in [1e-6, 0.3, 1.0, dof / 2, dof - 1, dof, dof + 1.5, 2 * dof, 4 * dof + 40]:
        if x <= 0:
            continue
        expected = float(special.chdtrc(dof, x))
        assert chi2_sf(dof, x) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("dof", DOFS)
def test_quantile_matches_scipy(dof: int) -> None:
    for tail in TAILS:
        expected = float(special.chdtri(dof, tail))
        assert chi2_isf(dof, tail) == pytest.approx(expected, rel=1e-9)
        assert chi2_sf(dof, chi2_isf(dof, tail)) == pytest.approx(tail, rel=1e-7)


def test_fractional_degrees_of_freedom() -> None:
    assert chi2_isf(2.5, 0.01) == pytest.approx(float(special.chdtri(2.5, 0.01)), rel=1e-9)


@pytest.mark.parametrize(("dof", "tail"), [(0, 0.1), (-1, 0.1), (3, 0.0), (3, 1.0), (3, 1.5)])
def test_bad_arguments_are_refused(dof: float, tail: float) -> None:
    with pytest.raises(ValueError, match=r"degrees of freedom|tail probability"):
        chi2_isf(dof, tail)


def test_tail_edges() -> None:
    assert chi2_sf(4, 0.0) == 1.0
    assert chi2_sf(4, -1.0) == 1.0
    with pytest.raises(ValueError, match="degrees of freedom"):
        chi2_sf(0, 1.0)
