"""Prometheus rules generated from a ``ModelMonitor``, for users who alert from Prometheus (pure: builds dicts)."""
