"""Sidecar injection as a pure function: an AdmissionReview's pod in, JSON-patch operations out."""
