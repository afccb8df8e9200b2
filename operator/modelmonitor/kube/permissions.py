"""The Kubernetes API permissions the operator needs: one declared table, the single source of the chart's RBAC.

Each :class:`Permission` names an API group, a resource (``resource/subresource`` for subresources),
the verbs, why the operator needs them, and the deployment feature that makes them necessary
(:class:`Feature`). The Helm chart's ClusterRoles must grant exactly these rules for the features a
values file turns on, and tests check both directions: every request the running operator sends
(its own :class:`~modelmonitor.kube.client.KubeApi` calls and Kopf's) maps through
:func:`required_permission` to a declared rule, and every declared rule is used.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass


class Feature(enum.Enum):
    """When a permission is needed."""

    ALWAYS = "always"
    """Every deployment of the operator."""
    NAMESPACED = "namespaced"
    """Watching a list of namespaces (not cluster-wide): Kopf lists and watches Namespaces to find them."""
    WEBHOOKS = "webhooks"
    """Admission webhooks on: the operator creates and updates its own webhook configurations."""
    PEERING = "peering"
    """High availability: Kopf's cluster-wide peering elects one active replica."""
    RETRAINING = "retraining"
    """Retraining triggers: the operator creates Jobs from a monitor's ``spec.retraining.jobTemplate``."""


@dataclass(frozen=True)
class Permission:
    """One RBAC rule: ``verbs`` on ``resource`` of API group ``group`` (``""`` is the core group)."""

    group: str
    resource: str
    verbs: tuple[str, ...]
    namespaced: bool
    why: str
    feature: Feature = Feature.ALWAYS

    def triples(self) -> set[tuple[str, str, str]]:
        """``(group, resource, verb)`` for each verb."""
        return {(self.group, self.resource, verb) for verb in self.verbs}


PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "modelmonitor.io",
        "modelmonitors",
        ("get", "list", "watch", "patch"),
        namespaced=True,
        why="Kopf watches ModelMonitors and patches finalizers and its annotations; conditions re-read the object",
    ),
    Permission(
        "modelmonitor.io",
        "modelmonitors/status",
        ("patch",),
        namespaced=True,
        why="conditions, phase and Kopf's progress are written through the status subresource",
    ),
    Permission(
        "apps",
        "deployments",
        ("get", "patch"),
        namespaced=True,
        why="resolve the target and opt its pod template in to injection (and back out on delete)",
    ),
    Permission(
        "",
        "services",
        ("get", "patch"),
        namespaced=True,
        why="rewire spec.target.service's targetPort to the sidecar and restore it on delete",
    ),
    Permission(
        "",
        "configmaps",
        ("get", "create", "patch", "delete"),
        namespaced=True,
        why="read reference profiles; deliver, update and delete each monitor's sidecar config",
    ),
    Permission(
        "",
        "pods",
        ("list",),
        namespaced=True,
        why="count opted-in pods running without the sidecar (SidecarMissing)",
    ),
    Permission(
        "",
        "events",
        ("create",),
        namespaced=True,
        why="Events on ModelMonitors (Kopf's posting and the operator's own)",
    ),
    Permission(
        "batch",
        "jobs",
        ("create",),
        namespaced=True,
        why="start a retraining Job when drift or an accuracy SLO stays breached (spec.retraining)",
        feature=Feature.RETRAINING,
    ),
    Permission(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        ("list", "watch"),
        namespaced=False,
        why="Kopf discovers served resources by watching CRDs",
    ),
    Permission(
        "",
        "namespaces",
        ("list", "watch"),
        namespaced=False,
        why="Kopf finds the watched namespaces and notices them appearing",
        feature=Feature.NAMESPACED,
    ),
    Permission(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        ("get", "create", "patch"),
        namespaced=False,
        why="register the fail-open injection webhook with the current CA bundle",
        feature=Feature.WEBHOOKS,
    ),
    Permission(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        ("get", "create", "patch"),
        namespaced=False,
        why="register the ModelMonitor validating webhook with the current CA bundle",
        feature=Feature.WEBHOOKS,
    ),
    Permission(
        "kopf.dev",
        "clusterkopfpeerings",
        ("list", "watch", "patch"),
        namespaced=False,
        why="Kopf's peering: one active replica, the others on standby",
        feature=Feature.PEERING,
    ),
)


def permissions_for(features: Collection[Feature], table: Iterable[Permission] = PERMISSIONS) -> list[Permission]:
    """The rules needed when ``features`` are on (``ALWAYS`` ones included)."""
    wanted = {Feature.ALWAYS, *features}
    return [permission for permission in table if permission.feature in wanted]


def granted(permissions: Iterable[Permission]) -> set[tuple[str, str, str]]:
    """Every ``(group, resource, verb)`` the rules grant."""
    return {triple for permission in permissions for triple in permission.triples()}


def required_permission(method: str, path: str, params: Mapping[str, str] | None = None) -> tuple[str, str, str] | None:
    """The ``(group, resource, verb)`` RBAC checks for one API request; ``None`` for non-resource URLs (discovery).

    Follows the API server's request-info rules: ``/api/v1/...`` is the core group,
    ``/apis/<group>/<version>/...``, an optional ``namespaces/<ns>/`` prefix, then
    ``<resource>[/<name>[/<subresource>]]``. A GET without a name is ``list``, or ``watch`` with
    ``?watch=true``; DELETE without a name is ``deletecollection``.

    >>> required_permission("PATCH", "/apis/modelmonitor.io/v1alpha1/namespaces/ml/modelmonitors/a/status")
    ('modelmonitor.io', 'modelmonitors/status', 'patch')
    >>> required_permission("GET", "/api/v1/pods", {"watch": "true"})
    ('', 'pods', 'watch')
    >>> required_permission("GET", "/apis/apps/v1") is None
    True
    """
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    if len(parts) >= 2 and parts[0] == "api":
        group, rest = "", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, rest = parts[1], parts[3:]
    else:
        return None  # /version, /api, /apis, /apis/<group>, /healthz...
    if not rest:
        return None  # the group-version discovery document
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]  # a namespaced resource; "namespaces/<name>" alone is the Namespace itself
    resource, name, subresource = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
    full = f"{resource}/{subresource}" if subresource else resource
    verb = _verb(method.upper(), has_name=name is not None, watch=_is_true((params or {}).get("watch")))
    return group, full, verb


def _is_true(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "1")


def _verb(method: str, *, has_name: bool, watch: bool) -> str:
    if method in ("GET", "HEAD"):
        return "watch" if watch else "get" if has_name else "list"
    if method == "DELETE":
        return "delete" if has_name else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())
