"""The synthetic drift benchmark dataset, seeded, shared by benchmarks, tests and examples.

25 features as in ``research/anchors-performance.md`` §2: 20 numeric (normal, lognormal, uniform,
bimodal, in turn) and 5 categorical (3 to 20 Zipf-distributed categories). The current frame
shifts exactly five of them by moderate amounts:

- ``num_00`` normal, mean +0.5 standard deviations;
- ``num_05`` lognormal, sigma 0.75 -> 0.95 (a heavy-tail change);
- ``num_10`` uniform [0, 10] -> [0, 11];
- ``num_15`` bimodal, mixture weight 0.3 -> 0.4;
- ``cat_2`` 10 % of the mass moved from the top category to the last.

``num_03`` and ``cat_1`` carry 1 % nulls in both frames, so null handling is exercised.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SHIFTED = ("num_00", "num_05", "num_10", "num_15", "cat_2")
N_NUMERIC = 20
CATEGORY_COUNTS = (3, 5, 8, 12, 20)
NULL_RATE = 0.01

Column = npt.NDArray[np.float64] | npt.NDArray[np.object_]
Frame = dict[str, Column]


def _numeric(kind: int, n: int, rng: np.random.Generator, shifted: bool) -> npt.NDArray[np.float64]:
    if kind == 0:
        return rng.normal(10.0 + (0.5 * 2.0 if shifted else 0.0), 2.0, n)
    if kind == 1:
        return rng.lognormal(0.0, 0.95 if shifted else 0.75, n)
    if kind == 2:
        return rng.uniform(0.0, 11.0 if shifted else 10.0, n)
    weight = 0.4 if shifted else 0.3
    low = rng.random(n) < weight
    return np.asarray(np.where(low, rng.normal(-2.0, 1.0, n), rng.normal(2.0, 1.0, n)), dtype=np.float64)


def _category_probabilities(k: int, shifted: bool) -> npt.NDArray[np.float64]:
    p = 1.0 / np.arange(1, k + 1) ** 1.1
    p /= p.sum()
    if shifted:
        p = p.copy()
        p[0] -= 0.10
        p[-1] += 0.10
    return p


def make_frame(n: int, *, seed: int, drifted: bool) -> Frame:
    """One frame of ``n`` rows; ``drifted`` applies the five shifts of :data:`SHIFTED`."""
    rng = np.random.default_rng(seed)
    frame: Frame = {}
    for i in range(N_NUMERIC):
        name = f"num_{i:02d}"
        column = _numeric(i % 4, n, rng, drifted and name in SHIFTED)
        if name == "num_03":
            column[rng.random(n) < NULL_RATE] = np.nan
        frame[name] = column
    for j, k in enumerate(CATEGORY_COUNTS):
        name = f"cat_{j}"
        labels = np.array([f"c{c:02d}" for c in range(k)], dtype=object)
        column = rng.choice(labels, size=n, p=_category_probabilities(k, drifted and name in SHIFTED))
        if name == "cat_1":
            column[rng.random(n) < NULL_RATE] = None
        frame[name] = column
    return frame


def make_frames(n_reference: int = 100_000, n_current: int = 100_000, seed: int = 42) -> tuple[Frame, Frame]:
    """The reference frame and a current frame with the five shifts, from independent streams."""
    return make_frame(n_reference, seed=seed, drifted=False), make_frame(n_current, seed=seed + 1, drifted=True)


def random_halves(frame: Frame, seed: int = 7) -> tuple[Frame, Frame]:
    """Split ``frame`` into two random halves: no drift between them, by construction."""
    n = len(next(iter(frame.values())))
    order = np.random.default_rng(seed).permutation(n)
    first, second = order[: n // 2], order[n // 2 :]
    return {k: v[first] for k, v in frame.items()}, {k: v[second] for k, v in frame.items()}
