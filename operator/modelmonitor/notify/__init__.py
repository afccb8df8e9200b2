"""Delivery of alert notifications over HTTP (the I/O layer above :mod:`modelmonitor.alerts`)."""
