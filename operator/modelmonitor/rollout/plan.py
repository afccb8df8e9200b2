"""Rollout actions as Deployment patch bodies, and pod-template revisions: pure dict builders.

Patches are JSON merge patches (RFC 7386, content type ``application/merge-patch+json``) with
explicit values, so applying one twice is the same as applying it once. A template replacement
is the merge-patch *difference* between the current and the wanted template: keys that must go
are set to null and lists are replaced whole, so the result is exactly the wanted template
(a strategic merge patch would merge containers by name and keep stale ones).

Revisions are hashes of a pod template *without* the labels that identify its Deployment (the
selector labels and ``pod-template-hash``): the stable and canary Deployments necessarily have
different selectors, and a promoted template must hash the same in both.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from modelmonitor.rollout.actions import Action, PromoteTemplate, RestoreTemplate, ScaleCanary, ScaleStable

ANNOTATION_PREFIX = "modelmonitor.io/"
ROLLED_BACK_FROM = "modelmonitor.io/rolled-back-from"
ROLLBACK_REASON = "modelmonitor.io/rollback-reason"
RESTORED_REVISION = "modelmonitor.io/restored-revision"
PROMOTED_FROM = "modelmonitor.io/promoted-from"
POD_TEMPLATE_HASH = "pod-template-hash"
DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"
MAX_REASON_CHARS = 1024
"""Rollback reasons are cut to this length in the annotation (the full text is in status)."""


class PlanError(ValueError):
    """An action cannot be turned into a patch (missing Deployment, unknown revision)."""


@dataclass(frozen=True)
class DeploymentPatch:
    """A merge patch for the apps/v1 Deployment ``name``."""

    name: str
    body: dict[str, Any]


def selector_labels(deployment: Mapping[str, Any]) -> dict[str, str]:
    """The Deployment's ``spec.selector.matchLabels`` (empty when absent)."""
    labels = deployment.get("spec", {}).get("selector", {}).get("matchLabels", {}) or {}
    return {str(k): str(v) for k, v in labels.items()}


def template_revision(template: Mapping[str, Any], selector: Mapping[str, str] | None = None) -> str:
    """A short, stable hash of a pod template, ignoring what ties it to one Deployment.

    Removed before hashing: the selector's label keys, ``pod-template-hash``, annotations under
    ``modelmonitor.io/`` and ``metadata.creationTimestamp`` (null in ReplicaSet templates).

    >>> a = {"metadata": {"labels": {"app": "m", "track": "stable"}}, "spec": {"containers": [{"image": "m:2"}]}}
    >>> b = {"metadata": {"labels": {"app": "m", "track": "canary"}}, "spec": {"containers": [{"image": "m:2"}]}}
    >>> template_revision(a, {"track": "stable"}) == template_revision(b, {"track": "canary"})
    True
    """
    canonical = _identity_free(template, selector or {})
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()[:16]


def revision_keys(stable: Mapping[str, Any], canary: Mapping[str, Any] | None) -> dict[str, str]:
    """The label keys left out of every revision hash: the union of both Deployments' selector keys.

    Pass this as ``selector`` to :func:`template_revision`, :func:`find_template` and
    :func:`previous_revision` so that every revision of one ModelMonitor is hashed alike.
    """
    keys = dict.fromkeys(selector_labels(stable), "")
    if canary is not None:
        keys.update(dict.fromkeys(selector_labels(canary), ""))
    return keys


def rollout_revisions(stable: Mapping[str, Any], canary: Mapping[str, Any] | None) -> tuple[str, str | None]:
    """Revisions of the stable and canary templates, both hashed without either Deployment's selector keys.

    Using the union of the two selectors makes a promoted template hash the same in the stable
    Deployment as it did in the canary, whatever labels each selector uses.
    """
    keys = revision_keys(stable, canary)
    stable_revision = template_revision(stable.get("spec", {}).get("template", {}) or {}, keys)
    if canary is None:
        return stable_revision, None
    return stable_revision, template_revision(canary.get("spec", {}).get("template", {}) or {}, keys)


def scale_patch(replicas: int) -> dict[str, Any]:
    """Merge patch setting ``spec.replicas``."""
    if replicas < 0:
        raise PlanError(f"replicas must be >= 0, got {replicas}")
    return {"spec": {"replicas": replicas}}


def promote_patch(stable: Mapping[str, Any], canary: Mapping[str, Any], *, from_revision: str) -> dict[str, Any]:
    """Merge patch giving the stable Deployment the canary's pod template.

    The canary's selector labels are replaced by the stable's, so the stable Deployment keeps
    owning its pods (and the Service keeps selecting them). The revision promoted is recorded in
    the annotation ``modelmonitor.io/promoted-from`` on the Deployment, not on the template, so it
    does not change the template's revision.
    """
    canary_template = canary.get("spec", {}).get("template")
    if not isinstance(canary_template, Mapping):
        raise PlanError(f"canary Deployment {_name(canary)!r} has no spec.template")
    wanted = _with_selector(canary_template, selector_labels(canary), selector_labels(stable))
    current = stable.get("spec", {}).get("template", {}) or {}
    return {
        "metadata": {"annotations": {PROMOTED_FROM: from_revision}},
        "spec": {"template": merge_patch(current, wanted)},
    }


def restore_patch(
    deployment: Mapping[str, Any],
    template: Mapping[str, Any],
    *,
    revision: str,
    rolled_back_from: str,
    reason: str,
) -> dict[str, Any]:
    """Merge patch putting ``template`` (e.g. from a ReplicaSet) back into the Deployment, saying why.

    ``pod-template-hash`` is dropped from the template (a Deployment's template must not carry it,
    as ``kubectl rollout undo`` does), and the Deployment's selector labels are kept.
    """
    selector = selector_labels(deployment)
    wanted = _with_selector(template, selector, selector)
    current = deployment.get("spec", {}).get("template", {}) or {}
    return {
        "metadata": {
            "annotations": {
                ROLLED_BACK_FROM: rolled_back_from,
                RESTORED_REVISION: revision,
                ROLLBACK_REASON: reason[:MAX_REASON_CHARS],
            }
        },
        "spec": {"template": merge_patch(current, wanted)},
    }


def find_template(
    replicasets: Iterable[Mapping[str, Any]], revision: str, selector: Mapping[str, str]
) -> dict[str, Any] | None:
    """The pod template of ``revision`` in a Deployment's ReplicaSet history (newest first), or None."""
    for rs in _newest_first(replicasets):
        template = rs.get("spec", {}).get("template")
        if isinstance(template, Mapping) and template_revision(template, selector) == revision:
            return copy.deepcopy(dict(template))
    return None


def previous_revision(
    replicasets: Iterable[Mapping[str, Any]], current: str, selector: Mapping[str, str]
) -> str | None:
    """The revision of the newest ReplicaSet whose template differs from ``current``, or None."""
    for rs in _newest_first(replicasets):
        template = rs.get("spec", {}).get("template")
        if isinstance(template, Mapping):
            revision = template_revision(template, selector)
            if revision != current:
                return revision
    return None


def plan_patches(
    actions: Iterable[Action],
    *,
    stable: Mapping[str, Any],
    canary: Mapping[str, Any] | None = None,
    history: Iterable[Mapping[str, Any]] = (),
) -> list[DeploymentPatch]:
    """The patches for a decision's patch actions, in order; other actions are skipped.

    ``stable`` is the stable (or guarded) Deployment, ``canary`` the canary Deployment and
    ``history`` the stable Deployment's ReplicaSets, used to find a template to restore.
    """
    stable_name = _name(stable)
    replicasets = list(history)
    keys = revision_keys(stable, canary)
    patches: list[DeploymentPatch] = []
    for action in actions:
        if isinstance(action, ScaleCanary):
            if canary is None:
                raise PlanError("ScaleCanary needs the canary Deployment")
            patches.append(DeploymentPatch(_name(canary), scale_patch(action.replicas)))
        elif isinstance(action, ScaleStable):
            patches.append(DeploymentPatch(stable_name, scale_patch(action.replicas)))
        elif isinstance(action, PromoteTemplate):
            if canary is None:
                raise PlanError("PromoteTemplate needs the canary Deployment")
            _, found = rollout_revisions(stable, canary)
            if found != action.from_revision:
                raise PlanError(
                    f"canary Deployment {_name(canary)!r} has revision {found}, not {action.from_revision}: "
                    "its template changed since the decision; decide again"
                )
            patches.append(DeploymentPatch(stable_name, promote_patch(stable, canary, from_revision=found)))
        elif isinstance(action, RestoreTemplate):
            template = find_template(replicasets, action.revision, keys)
            if template is None:
                raise PlanError(
                    f"revision {action.revision} of Deployment {stable_name!r} is not in its ReplicaSet history"
                )
            body = restore_patch(
                stable,
                template,
                revision=action.revision,
                rolled_back_from=action.rolled_back_from,
                reason=action.reason,
            )
            patches.append(DeploymentPatch(stable_name, body))
    return patches


def merge_patch(current: Any, wanted: Any) -> Any:
    """The RFC 7386 merge patch turning ``current`` into ``wanted``.

    Objects are diffed key by key (removed keys become null); anything else, lists included, is
    replaced whole. ``wanted`` must not contain nulls (a merge patch cannot express them).

    >>> merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 4}})
    {'b': {'c': 4, 'd': None}}
    """
    if not isinstance(current, Mapping) or not isinstance(wanted, Mapping):
        return copy.deepcopy(wanted)
    patch: dict[str, Any] = {}
    for key, value in wanted.items():
        if key not in current:
            patch[key] = copy.deepcopy(value)
        elif current[key] != value:
            patch[key] = merge_patch(current[key], value) if isinstance(value, Mapping) else copy.deepcopy(value)
    for key in current:
        if key not in wanted:
            patch[key] = None
    return patch


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch (what the API server does with ``application/merge-patch+json``).

    >>> apply_merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "e": 5}})
    {'a': 1, 'b': {'e': 5}}
    """
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(copy.deepcopy(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def _identity_free(template: Mapping[str, Any], selector: Mapping[str, str]) -> dict[str, Any]:
    out = copy.deepcopy(dict(template))
    metadata = dict(out.get("metadata") or {})
    labels = {k: v for k, v in (metadata.get("labels") or {}).items() if k not in selector and k != POD_TEMPLATE_HASH}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if not k.startswith(ANNOTATION_PREFIX)}
    metadata.pop("creationTimestamp", None)
    metadata["labels"] = labels
    metadata["annotations"] = annotations
    out["metadata"] = metadata
    return out


def _with_selector(
    template: Mapping[str, Any], own_selector: Mapping[str, str], target_selector: Mapping[str, str]
) -> dict[str, Any]:
    """``template`` with its own selector labels swapped for the target Deployment's."""
    out = copy.deepcopy(dict(template))
    metadata = dict(out.get("metadata") or {})
    labels = {
        k: v for k, v in (metadata.get("labels") or {}).items() if k not in own_selector and k != POD_TEMPLATE_HASH
    }
    labels.update(target_selector)
    metadata["labels"] = labels
    metadata.pop("creationTimestamp", None)
    out["metadata"] = metadata
    return out


def _newest_first(replicasets: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def number(rs: Mapping[str, Any]) -> int:
        raw = (rs.get("metadata", {}).get("annotations") or {}).get(DEPLOYMENT_REVISION, "0")
        try:
            return int(raw)
        except (TypeError, ValueError):
            return 0

    return sorted(replicasets, key=number, reverse=True)


def _name(deployment: Mapping[str, Any]) -> str:
    name = deployment.get("metadata", {}).get("name")
    if not isinstance(name, str) or not name:
        raise PlanError("Deployment has no metadata.name")
    return name
