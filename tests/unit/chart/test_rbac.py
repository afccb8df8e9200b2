"""The chart's RBAC equals the declared permission table (``modelmonitor.kube.permissions``) for each feature set.

The table itself is checked against the running operator's requests in
tests/integration/operator/test_permissions.py; here the chart is rendered with helm.

We test these aspects:
- for each combination of features (cluster-wide or namespaced, webhooks, peering) the two ClusterRoles grant
  exactly the table's ``(group, resource, verb)`` triples: nothing missing, nothing extra;
- cluster-scoped rules sit in the "-cluster" role, namespaced ones in the "-namespaced" role;
- cluster-wide, the namespaced role is bound by a ClusterRoleBinding; namespaced, by a RoleBinding in each
  watched namespace and by nothing cluster-wide;
- every binding names the operator's ServiceAccount; ``rbac.create=false`` renders no RBAC at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.kube.permissions import PERMISSIONS, Feature, granted, permissions_for
from tests.unit.chart.rendering import FULLNAME, NAMESPACE, NO_HELM, find, find_helm, one, render

pytestmark = pytest.mark.skipif(find_helm() is None, reason=NO_HELM)

# Retraining is on by default, so every scenario but the last one grants it.
R = Feature.RETRAINING
SCENARIOS: list[tuple[str, dict[str, Any], set[Feature]]] = [
    ("defaults", {}, {Feature.WEBHOOKS, R}),
    ("no-webhooks", {"webhooks": {"enabled": False}}, {R}),
    ("namespaced", {"watchNamespaces": ["a", "b"]}, {Feature.NAMESPACED, Feature.WEBHOOKS, R}),
    ("namespaced-no-webhooks", {"watchNamespaces": ["a"], "webhooks": {"enabled": False}}, {Feature.NAMESPACED, R}),
    ("peering", {"peering": {"enabled": True}}, {Feature.PEERING, Feature.WEBHOOKS, R}),
    (
        "ha",
        {"replicaCount": 2, "peering": {"enabled": True}, "webhooks": {"certManager": {"enabled": True}}},
        {Feature.PEERING, Feature.WEBHOOKS, R},
    ),
    ("no-retraining", {"retraining": {"enabled": False}}, {Feature.WEBHOOKS}),
]


def triples(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.mark.parametrize(("values", "features"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_cluster_roles_equal_the_table(values: dict[str, Any], features: set[Feature]) -> None:
    docs = render(values)
    cluster = triples(one(docs, "ClusterRole", f"{FULLNAME}-cluster"))
    namespaced = triples(one(docs, "ClusterRole", f"{FULLNAME}-namespaced"))
    wanted = permissions_for(features)
    assert cluster | namespaced == granted(wanted)
    assert cluster == granted(p for p in wanted if not p.namespaced)
    assert namespaced == granted(p for p in wanted if p.namespaced)


def test_every_feature_is_covered_by_a_scenario() -> None:
    covered = set().union(*(features for _, _, features in SCENARIOS))
    assert covered | {Feature.ALWAYS} == {p.feature for p in PERMISSIONS}


def test_cluster_wide_bindings() -> None:
    docs = render({})
    assert find(docs, "RoleBinding") == []
    bindings = {b["roleRef"]["name"]: b for b in find(docs, "ClusterRoleBinding")}
    assert set(bindings) == {f"{FULLNAME}-cluster", f"{FULLNAME}-namespaced"}
    for binding in bindings.values():
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}]


def test_namespaced_bindings() -> None:
    docs = render({"watchNamespaces": ["ml-a", "ml-b"], "serviceAccount": {"name": "operator"}})
    assert [b["roleRef"]["name"] for b in find(docs, "ClusterRoleBinding")] == [f"{FULLNAME}-cluster"]
    role_bindings = find(docs, "RoleBinding")
    assert sorted(b["metadata"]["namespace"] for b in role_bindings) == ["ml-a", "ml-b"]
    for binding in role_bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"{FULLNAME}-namespaced",
        }
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "operator", "namespace": NAMESPACE}]


def test_rbac_can_be_left_out() -> None:
    docs = render({"rbac": {"create": False}})
    assert not [d for d in docs if d["apiVersion"].startswith("rbac.authorization.k8s.io")]
