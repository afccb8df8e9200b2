"""Rollout actions as Deployment merge patches.

We test these aspects:
- merge_patch/apply_merge_patch: applying the diff gives exactly the wanted document
  (property over JSON documents), and applying it twice changes nothing;
- template revisions ignore what ties a template to its Deployment (selector labels,
  pod-template-hash, modelmonitor.io annotations, creationTimestamp) and see everything else;
- promotion gives the stable Deployment exactly the canary's template under the stable selector,
  removes stale containers, and the promoted template hashes the same in both Deployments;
- restore takes a ReplicaSet's template, drops pod-template-hash, and records why in annotations;
- ReplicaSet history: newest matching template, previous revision;
- plan_patches maps each action to the right Deployment and refuses stale or impossible plans.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmonitor.rollout.actions import (
    Action,
    EmitEvent,
    PromoteTemplate,
    RestoreTemplate,
    ScaleCanary,
    ScaleStable,
)
from modelmonitor.rollout.plan import (
    MAX_REASON_CHARS,
    PROMOTED_FROM,
    ROLLBACK_REASON,
    ROLLED_BACK_FROM,
    DeploymentPatch,
    PlanError,
    apply_merge_patch,
    find_template,
    merge_patch,
    plan_patches,
    previous_revision,
    promote_patch,
    restore_patch,
    revision_keys,
    rollout_revisions,
    scale_patch,
    template_revision,
)


def template(image: str, track: str, *, extra_container: bool = False, version: str = "1") -> dict[str, Any]:
    containers: list[dict[str, Any]] = [
        {"name": "model", "image": image, "env": [{"name": "MODEL_VERSION", "value": version}]}
    ]
    if extra_container:
        containers.append({"name": "debug", "image": "busybox"})
    return {
        "metadata": {
            "labels": {"app": "scorer", "track": track, "app.kubernetes.io/version": version},
            "annotations": {"prometheus.io/scrape": "true"},
        },
        "spec": {"containers": containers},
    }


def deployment(name: str, track: str, tmpl: dict[str, Any], replicas: int = 5) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "scorer", "track": track}},
            "template": tmpl,
        },
    }


STABLE = deployment("scorer", "stable", template("scorer:1", "stable", extra_container=True))
CANARY = deployment("scorer-v2", "canary", template("scorer:2", "canary", version="2"), replicas=0)


def replicaset(revision: int, tmpl: dict[str, Any]) -> dict[str, Any]:
    with_hash = copy.deepcopy(tmpl)
    with_hash["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
    with_hash["metadata"]["creationTimestamp"] = None
    return {
        "metadata": {
            "name": f"scorer-h{revision}",
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
        },
        "spec": {"template": with_hash},
    }


# -- merge patches --------------------------------------------------------------------------

json_leaves = st.booleans() | st.integers(-5, 5) | st.text(max_size=3)
json_documents = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2), children, max_size=3),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=2), json_documents, max_size=4)


@given(current=json_objects, wanted=json_objects)
def test_applying_the_diff_gives_the_wanted_document(current: dict[str, Any], wanted: dict[str, Any]) -> None:
    patch = merge_patch(current, wanted)
    assert apply_merge_patch(current, patch) == wanted
    assert apply_merge_patch(apply_merge_patch(current, patch), patch) == wanted
    assert current == copy.deepcopy(current)  # inputs untouched


def test_diff_of_equal_documents_is_empty() -> None:
    assert merge_patch(STABLE, copy.deepcopy(STABLE)) == {}


def test_scale_patch() -> None:
    assert scale_patch(3) == {"spec": {"replicas": 3}}
    with pytest.raises(PlanError, match="replicas must be >= 0"):
        scale_patch(-1)


# -- revisions ------------------------------------------------------------------------------


def test_revision_ignores_deployment_identity() -> None:
    keys = revision_keys(STABLE, CANARY)
    base = template("scorer:2", "canary", version="2")
    same = copy.deepcopy(base)
    same["metadata"]["labels"]["track"] = "stable"
    same["metadata"]["labels"]["pod-template-hash"] = "abc"
    same["metadata"]["annotations"]["modelmonitor.io/promoted-from"] = "x"
    same["metadata"]["creationTimestamp"] = None
    assert template_revision(base, keys) == template_revision(same, keys)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["spec"]["containers"][0].update(image="scorer:3"),
        lambda t: t["spec"]["containers"][0]["env"].append({"name": "X", "value": "1"}),
        lambda t: t["metadata"]["labels"].update({"app.kubernetes.io/version": "9"}),
        lambda t: t["metadata"]["annotations"].update({"kubectl.kubernetes.io/restartedAt": "now"}),
    ],
)
def test_revision_sees_every_other_change(change: Any) -> None:
    keys = revision_keys(STABLE, CANARY)
    base = template("scorer:2", "canary")
    changed = copy.deepcopy(base)
    change(changed)
    assert template_revision(base, keys) != template_revision(changed, keys)


# -- promotion ------------------------------------------------------------------------------


def test_promotion_copies_the_canary_template_under_the_stable_selector() -> None:
    _, canary_revision = rollout_revisions(STABLE, CANARY)
    assert canary_revision is not None
    patch = promote_patch(STABLE, CANARY, from_revision=canary_revision)
    promoted = apply_merge_patch(STABLE, patch)
    tmpl = promoted["spec"]["template"]
    assert tmpl["metadata"]["labels"] == {"app": "scorer", "track": "stable", "app.kubernetes.io/version": "2"}
    assert [c["name"] for c in tmpl["spec"]["containers"]] == ["model"]  # stale "debug" container removed
    assert tmpl["spec"]["containers"][0]["image"] == "scorer:2"
    assert tmpl["spec"]["containers"][0]["env"] == [{"name": "MODEL_VERSION", "value": "2"}]
    assert promoted["metadata"]["annotations"] == {PROMOTED_FROM: canary_revision}
    assert promoted["spec"]["selector"] == STABLE["spec"]["selector"]
    assert promoted["spec"]["replicas"] == 5
    # The stable Deployment now reports the canary's revision: the state machine waits on this.
    assert rollout_revisions(promoted, CANARY) == (canary_revision, canary_revision)


def test_promotion_is_idempotent() -> None:
    _, revision = rollout_revisions(STABLE, CANARY)
    assert revision is not None
    once = apply_merge_patch(STABLE, promote_patch(STABLE, CANARY, from_revision=revision))
    twice = apply_merge_patch(once, promote_patch(STABLE, CANARY, from_revision=revision))
    assert once == twice


def test_promotion_needs_a_canary_template() -> None:
    with pytest.raises(PlanError, match=r"'scorer-v2' has no spec\.template"):
        promote_patch(STABLE, {"metadata": {"name": "scorer-v2"}, "spec": {}}, from_revision="x")


# -- restore and history --------------------------------------------------------------------


def history() -> list[dict[str, Any]]:
    return [
        replicaset(3, template("scorer:3", "stable", version="3")),
        replicaset(1, template("scorer:1", "stable", extra_container=True)),
        replicaset(2, template("scorer:2", "stable", version="2")),
    ]


def test_previous_revision_is_the_newest_different_template() -> None:
    keys = revision_keys(STABLE, None)
    current = template_revision(template("scorer:3", "stable", version="3"), keys)
    expected = template_revision(template("scorer:2", "stable", version="2"), keys)
    assert previous_revision(history(), current, keys) == expected
    assert previous_revision(history()[:1], current, keys) is None


def test_restore_puts_a_replicaset_template_back_and_says_why() -> None:
    keys = revision_keys(STABLE, None)
    bad = deployment("scorer", "stable", template("scorer:3", "stable", version="3"))
    good = template_revision(template("scorer:2", "stable", version="2"), keys)
    found = find_template(history(), good, keys)
    assert found is not None
    reason = "burn-rate 50 > 2 " + "x" * 5000
    patch = restore_patch(bad, found, revision=good, rolled_back_from="bad-rev", reason=reason)
    restored = apply_merge_patch(bad, patch)
    labels = restored["spec"]["template"]["metadata"]["labels"]
    assert "pod-template-hash" not in labels
    assert "creationTimestamp" not in restored["spec"]["template"]["metadata"]
    assert restored["spec"]["template"]["spec"]["containers"][0]["image"] == "scorer:2"
    assert template_revision(restored["spec"]["template"], keys) == good
    annotations = restored["metadata"]["annotations"]
    assert annotations[ROLLED_BACK_FROM] == "bad-rev"
    assert annotations[ROLLBACK_REASON].startswith("burn-rate 50 > 2")
    assert len(annotations[ROLLBACK_REASON]) == MAX_REASON_CHARS


def test_find_template_of_an_unknown_revision_is_none() -> None:
    assert find_template(history(), "0000", revision_keys(STABLE, None)) is None


# -- plan_patches ---------------------------------------------------------------------------


def test_plan_maps_actions_to_deployments_in_order() -> None:
    _, revision = rollout_revisions(STABLE, CANARY)
    assert revision is not None
    actions: list[Action] = [ScaleCanary(2), ScaleStable(3), EmitEvent("X", "y"), PromoteTemplate(revision)]
    patches = plan_patches(actions, stable=STABLE, canary=CANARY)
    assert [(p.name, list(p.body["spec"])) for p in patches] == [
        ("scorer-v2", ["replicas"]),
        ("scorer", ["replicas"]),
        ("scorer", ["template"]),
    ]
    assert patches[0] == DeploymentPatch("scorer-v2", {"spec": {"replicas": 2}})


def test_plan_refuses_a_promotion_of_a_changed_canary() -> None:
    with pytest.raises(PlanError, match="its template changed since the decision"):
        plan_patches([PromoteTemplate("stale")], stable=STABLE, canary=CANARY)


def test_plan_restores_from_history() -> None:
    keys = revision_keys(STABLE, CANARY)
    good = template_revision(template("scorer:2", "stable", version="2"), keys)
    patches = plan_patches([RestoreTemplate(good, "bad", "why")], stable=STABLE, canary=CANARY, history=history())
    restored = apply_merge_patch(STABLE, patches[0].body)
    assert template_revision(restored["spec"]["template"], keys) == good


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (ScaleCanary(1), "needs the canary Deployment"),
        (PromoteTemplate("x"), "needs the canary Deployment"),
        (RestoreTemplate("missing", "bad", "why"), "not in its ReplicaSet history"),
    ],
)
def test_plan_refuses_impossible_actions(action: Any, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_patches([action], stable=STABLE, canary=None, history=history())


def test_plan_needs_named_deployments() -> None:
    with pytest.raises(PlanError, match=r"metadata\.name"):
        plan_patches([ScaleStable(1)], stable={"metadata": {}})
