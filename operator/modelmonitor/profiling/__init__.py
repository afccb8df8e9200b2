"""Batch profiling: tabular files in, reference profiles and drift reports out.

This is the I/O layer behind ``modelmonitor profile`` and ``modelmonitor drift``: it reads CSV and
Parquet files into typed columns (:mod:`.tables`), bins them into a reference profile with the same
sketches the sidecar uses (:mod:`.build`), stores the profile as a ConfigMap manifest
(:mod:`.configmap`) and compares a batch of current data with it (:mod:`.report`).
"""
