"""SLO math, pure: good/bad events per window, burn rates, error budgets and multi-window burn-rate alerting.

Nothing here does I/O or knows where counts come from: the analysis loop hands in counts per window (or
``None`` when a window is not covered by data) and gets back what to report and whether to page.
"""
