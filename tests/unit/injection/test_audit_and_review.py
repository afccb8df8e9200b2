"""Counting pods without the sidecar, and checking AdmissionReview shapes.

We test these aspects:
- only running/pending pods of the monitor that carry the label but no sidecar are counted;
- odd pods (no metadata, no spec, terminating, finished) never raise;
- a documented AdmissionReview passes; each missing piece is named.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.injection.audit import pods_missing_sidecar, sidecar_observation
from modelmonitor.injection.review import review_problems
from modelmonitor.wiring import keys

META = {"labels": {keys.INJECT_LABEL: "true"}, "annotations": {keys.MONITOR: "m"}}


def test_counts_only_the_monitors_pods_without_sidecar() -> None:
    pods: list[dict[str, Any]] = [
        {"metadata": {"name": "b", **META}, "spec": {"containers": [{"name": "model"}]}},
        {"metadata": {"name": "a", **META}, "spec": {"containers": []}},
        {"metadata": {"name": "ok", **META}, "spec": {"containers": [{"name": keys.SIDECAR_CONTAINER}]}},
        {"metadata": {"name": "other", "labels": META["labels"], "annotations": {keys.MONITOR: "x"}}, "spec": {}},
        {"metadata": {"name": "gone", **META, "deletionTimestamp": "t"}, "spec": {}},
        {"metadata": {"name": "done", **META}, "spec": {}, "status": {"phase": "Succeeded"}},
        {"metadata": None},
        {},
    ]
    assert pods_missing_sidecar(pods, "m") == ["a", "b"]


def review() -> dict[str, Any]:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "operation": "CREATE",
            "userInfo": {"username": "admin"},
            "object": {"metadata": {}},
        },
    }


def test_documented_review_passes() -> None:
    assert review_problems(review()) == []


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("kind",), "Other", "kind"),
        (("apiVersion",), "v1", "apiVersion"),
        (("request", "uid"), None, "request.uid"),
        (("request", "resource"), {"group": ""}, "request.resource"),
        (("request", "operation"), 3, "request.operation"),
        (("request", "userInfo"), None, "request.userInfo"),
        (("request", "object"), None, "request.object"),
    ],
)
def test_each_problem_is_named(path: tuple[str, ...], value: Any, named: str) -> None:
    body = review()
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problems = review_problems(body)
    assert any(p.startswith(named) for p in problems), problems


@pytest.mark.parametrize("body", [None, [], "x", {"request": "x"}])
def test_non_reviews(body: Any) -> None:
    assert review_problems(body)


@pytest.mark.parametrize(
    ("missing", "status", "reason", "text"),
    [
        ([], "False", "AllInjected", "Every opted-in pod"),
        (["a"], "True", "PodsWithoutSidecar", "1 pod(s) labelled for injection run without the sidecar: a"),
        (
            [f"p{i}" for i in range(7)],
            "True",
            "PodsWithoutSidecar",
            "7 pod(s) labelled for injection run without the sidecar: p0, p1, p2, p3, p4 ...",
        ),
    ],
)
def test_sidecar_observation(missing: list[str], status: str, reason: str, text: str) -> None:
    observation = sidecar_observation(missing)
    assert (observation.status.value, observation.reason) == (status, reason)
    assert observation.message.startswith(text)
