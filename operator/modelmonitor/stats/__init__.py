"""The statistics core: reference binning, mergeable sketches, windows, drift and quality metrics.

numpy and scipy only; nothing here does I/O. Every streaming object is additive, so merging the
sketches of many pods is a sum and drift is computed from merged counts, never averaged.
"""

from modelmonitor.stats.base import Mergeable
from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_category_bins, fit_numeric_bins
from modelmonitor.stats.outcome_sketches import (
    OTHER_GROUP,
    CalibrationBins,
    ConfusionCounts,
    GroupedConfusion,
    RegressionErrors,
)
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch
from modelmonitor.stats.windows import WindowRing

__all__ = [
    "OTHER_GROUP",
    "CalibrationBins",
    "CategoricalSketch",
    "CategoryBins",
    "ConfusionCounts",
    "GroupedConfusion",
    "Mergeable",
    "NumericBins",
    "NumericSketch",
    "RegressionErrors",
    "WindowRing",
    "fit_category_bins",
    "fit_numeric_bins",
]
