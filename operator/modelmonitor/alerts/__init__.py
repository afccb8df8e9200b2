"""Alerts, pure: what an alert is, how alerts are grouped, deduplicated, silenced and routed, and the payloads.

The dispatcher is a state machine over plain data (its state serialises to JSON, so it survives an
operator restart); the HTTP delivery lives in :mod:`modelmonitor.notify`.
"""
