"""The statistics core: reference binning, mergeable sketches, windows, drift and quality metrics.

numpy and scipy only; nothing here does I/O. Every streaming object is additive, so merging the
sketches of many pods is a sum and drift is computed from merged counts, never averaged.
"""
