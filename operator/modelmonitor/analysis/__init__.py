"""The analysis loop's pure core: evaluate merged counts, apply hysteresis, and say what to report.

``evaluate`` (counts per window -> frozen ``AnalysisResult``), ``hysteresis`` (consecutive-N drift
verdicts), ``quality`` (data quality, ground truth, fairness), ``report`` (result -> conditions, status
summaries and metric samples). No I/O: sources and the Kopf timer live above this package.
"""
