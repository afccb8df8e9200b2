"""Shape checks of an incoming AdmissionReview, so a malformed one gets a clear 400, not a 500."""

from __future__ import annotations

from typing import Any

VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")


def review_problems(review: Any) -> list[str]:
    """What is wrong with ``review`` as an AdmissionReview request (``[]`` when it is usable)."""
    if not isinstance(review, dict):
        return [f"body: expected a JSON object, got {type(review).__name__}"]
    problems = []
    if review.get("kind") != "AdmissionReview":
        problems.append(f"kind: expected AdmissionReview, got {review.get('kind')!r}")
    if review.get("apiVersion") not in VERSIONS:
        problems.append(f"apiVersion: expected one of {list(VERSIONS)}, got {review.get('apiVersion')!r}")
    request = review.get("request")
    if not isinstance(request, dict):
        return [*problems, "request: required object is missing"]
    if not isinstance(request.get("uid"), str) or not request.get("uid"):
        problems.append("request.uid: required string is missing")
    resource = request.get("resource")
    if not isinstance(resource, dict) or not all(
        isinstance(resource.get(k), str) for k in ("group", "version", "resource")
    ):
        problems.append("request.resource: needs group, version and resource strings")
    if not isinstance(request.get("operation"), str):
        problems.append("request.operation: required string is missing")
    if not isinstance(request.get("userInfo"), dict):
        problems.append("request.userInfo: required object is missing")
    if not isinstance(request.get("object"), dict) and not isinstance(request.get("oldObject"), dict):
        problems.append("request.object: an object or oldObject is required")
    return problems
