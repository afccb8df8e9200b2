"""The request → RBAC mapping and the declared permission table.

We test these aspects:
- ``required_permission`` follows the API server's request-info rules: core and named groups, namespaced
  and cluster-scoped paths, subresources, list vs get vs watch, create/patch/update/delete/deletecollection;
- discovery and other non-resource URLs need no rule;
- the table is well formed: known verbs only, one rule per (group, resource), a reason for each, and the
  namespaced flag matches what the code's paths say (a namespaced resource is reached under namespaces/<ns>/);
- ``permissions_for`` adds a feature's rules only when the feature is on.
"""

from __future__ import annotations

import pytest

from modelmonitor.kube.monitors import config_map_path, deployment_path, service_path
from modelmonitor.kube.permissions import PERMISSIONS, Feature, granted, permissions_for, required_permission
from modelmonitor.kube.status import monitor_path
from modelmonitor.kube.webhooks import PATHS

VERBS = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}


@pytest.mark.parametrize(
    ("method", "path", "params", "expected"),
    [
        ("GET", "/api/v1/namespaces/ml/configmaps/a", {}, ("", "configmaps", "get")),
        ("GET", "/api/v1/namespaces/ml/pods", {"labelSelector": "x=y"}, ("", "pods", "list")),
        ("GET", "/api/v1/pods", {"watch": "true"}, ("", "pods", "watch")),
        ("GET", "/api/v1/namespaces", {}, ("", "namespaces", "list")),
        ("GET", "/api/v1/namespaces", {"watch": "1"}, ("", "namespaces", "watch")),
        ("GET", "/api/v1/namespaces/ml", {}, ("", "namespaces", "get")),
        ("POST", "/api/v1/namespaces/ml/events", {}, ("", "events", "create")),
        ("PATCH", "/apis/apps/v1/namespaces/ml/deployments/d", {}, ("apps", "deployments", "patch")),
        ("PUT", "/apis/apps/v1/namespaces/ml/deployments/d/scale", {}, ("apps", "deployments/scale", "update")),
        ("DELETE", "/api/v1/namespaces/ml/configmaps/a", {}, ("", "configmaps", "delete")),
        ("DELETE", "/api/v1/namespaces/ml/configmaps", {}, ("", "configmaps", "deletecollection")),
        ("PATCH", "/apis/kopf.dev/v1/clusterkopfpeerings/p", {}, ("kopf.dev", "clusterkopfpeerings", "patch")),
        ("GET", "/apis/apps/v1/deployments?watch=true", {"watch": "true"}, ("apps", "deployments", "watch")),
    ],
)
def test_required_permission(
    method: str, path: str, params: dict[str, str], expected: tuple[str, str, str] | None
) -> None:
    assert required_permission(method, path, params) == expected


@pytest.mark.parametrize("path", ["/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1", "/version", "/healthz"])
def test_non_resource_urls(path: str) -> None:
    assert required_permission("GET", path) is None


def test_table_is_well_formed() -> None:
    keys = [(p.group, p.resource) for p in PERMISSIONS]
    assert len(keys) == len(set(keys))
    for permission in PERMISSIONS:
        assert set(permission.verbs) <= VERBS
        assert len(permission.verbs) == len(set(permission.verbs))
        assert permission.why


@pytest.mark.parametrize(
    "path",
    [
        deployment_path("ml", "d"),
        service_path("ml", "s"),
        config_map_path("ml"),
        config_map_path("ml", "c"),
        monitor_path("ml", "m"),
        monitor_path("ml", "m") + "/status",
        *PATHS.values(),
    ],
)
def test_code_paths_are_declared_with_their_scope(path: str) -> None:
    group, resource, _ = required_permission("GET", path) or ("?", "?", "?")
    (declared,) = [p for p in PERMISSIONS if (p.group, p.resource) == (group, resource)]
    assert declared.namespaced == ("/namespaces/" in path)


def test_features_add_rules() -> None:
    always = granted(permissions_for(set()))
    everything = granted(permissions_for(set(Feature)))
    assert always < everything == granted(PERMISSIONS)
    assert ("", "namespaces", "list") not in always
    assert ("", "namespaces", "list") in granted(permissions_for({Feature.NAMESPACED}))
