"""Classification quality from confusion counts: accuracy, precision, recall, FPR, FNR.

All metrics are ratios of merged counts, so a fleet's accuracy is computed from the summed
confusion matrix, never averaged over pods. Binary metrics take a ``positive`` class (default: the
last class, "1" in ``("0", "1")``); with more classes they are one-vs-rest for that class.
A ratio with a zero denominator (no rows, no predicted positives, ...) is ``None``: "not
measurable yet", which callers must not confuse with 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelmonitor.stats.outcome_sketches import ConfusionCounts


@dataclass(frozen=True)
class BinaryCounts:
    """True/false positives/negatives for one positive class."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def total(self) -> int:
        """All counted pairs."""
        return self.tp + self.fp + self.fn + self.tn


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is 0."""
    return numerator / denominator if denominator else None


def binary_counts(counts: ConfusionCounts, positive: str | None = None) -> BinaryCounts:
    """One-vs-rest counts for ``positive`` (default: the last class).

    Examples
    --------
    >>> c = ConfusionCounts(("0", "1")).update_batch(["1", "1", "0", "0", "0"], ["1", "0", "1", "0", "0"])
    >>> binary_counts(c)
    BinaryCounts(tp=1, fp=1, fn=1, tn=2)
    """
    label = counts.classes[-1] if positive is None else str(positive)
    if label not in counts.classes:
        raise ValueError(f"positive class {label!r} is not one of {counts.classes}")
    k = counts.classes.index(label)
    matrix = counts.counts
    tp = matrix[k][k]
    fn = sum(matrix[k]) - tp
    fp = sum(row[k] for row in matrix) - tp
    tn = counts.total - tp - fn - fp
    return BinaryCounts(tp=tp, fp=fp, fn=fn, tn=tn)


def accuracy(counts: ConfusionCounts) -> float | None:
    """Share of pairs with predicted == actual (``None`` with no pairs).

    Examples
    --------
    >>> accuracy(ConfusionCounts(("a", "b")).update_batch(["a", "b", "b"], ["a", "b", "a"]))
    0.6666666666666666
    """
    return ratio(sum(counts.counts[i][i] for i in range(len(counts.classes))), counts.total)


def precision(counts: ConfusionCounts, positive: str | None = None) -> float | None:
    """``TP / (TP + FP)``: of the predicted positives, the share that were positive."""
    b = binary_counts(counts, positive)
    return ratio(b.tp, b.tp + b.fp)


def recall(counts: ConfusionCounts, positive: str | None = None) -> float | None:
    """``TP / (TP + FN)`` (true positive rate)."""
    b = binary_counts(counts, positive)
    return ratio(b.tp, b.tp + b.fn)


def fpr(counts: ConfusionCounts, positive: str | None = None) -> float | None:
    """``FP / (FP + TN)``: false positive rate."""
    b = binary_counts(counts, positive)
    return ratio(b.fp, b.fp + b.tn)


def fnr(counts: ConfusionCounts, positive: str | None = None) -> float | None:
    """``FN / (FN + TP)``: false negative rate (``1 - recall``)."""
    b = binary_counts(counts, positive)
    return ratio(b.fn, b.fn + b.tp)


def selection_rate(counts: ConfusionCounts, positive: str | None = None) -> float | None:
    """``(TP + FP) / total``: share of rows predicted positive (the basis of parity metrics)."""
    b = binary_counts(counts, positive)
    return ratio(b.tp + b.fp, b.total)
