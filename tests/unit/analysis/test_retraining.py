"""The retraining trigger's decisions.

We test these aspects:
- a breach waits for ``after``, then creates one Job; the cooldown holds further Jobs;
  a breach that ends resets the clock;
- with requireApproval, an approval value starts one Job and the same value never starts a second;
- the state round-trips through JSON (restart) and garbage is a fresh state;
- the Job manifest keeps the template's spec and is owned by the monitor.
"""

from __future__ import annotations

from modelmonitor.analysis.retraining import RetrainingState, decide, job_manifest
from modelmonitor.api.spec import Retraining

HOUR = 3600.0


def test_after_then_cooldown_then_reset() -> None:
    spec = Retraining(after="1h", cooldown="24h")
    state = RetrainingState()
    actions = []
    for now, breach in [(0, "d"), (1800, "d"), (3600, "d"), (7200, "d"), (90000, "d"), (90100, None), (90200, "d")]:
        decision = decide(spec, state, breach, float(now))
        state = decision.state
        actions.append(decision.action)
    assert actions == ["waiting", "waiting", "create", "cooldown", "create", "none", "waiting"]
    assert state.jobs == 2


def test_approval_is_used_once() -> None:
    spec = Retraining(after="0s", cooldown="1s", require_approval=True)
    state = RetrainingState()
    first = decide(spec, state, "d", 0.0)
    assert first.action == "awaiting-approval"
    approved = decide(spec, first.state, "d", 1.0, approval="TICKET-1")
    assert approved.action == "create"
    again = decide(spec, approved.state, "d", 10.0, approval="TICKET-1")
    assert again.action == "awaiting-approval"
    assert decide(spec, again.state, "d", 11.0, approval="TICKET-2").action == "create"


def test_state_json() -> None:
    state = RetrainingState(5.0, 7.0, 2, "T")
    assert RetrainingState.from_json(state.to_json()) == state
    assert RetrainingState.from_json({"jobs": -1, "breachedSince": "x"}) == RetrainingState()
    assert RetrainingState.from_json(None) == RetrainingState()


def test_job_manifest() -> None:
    spec = Retraining(job_template={"metadata": {"labels": {"team": "ml"}}, "spec": {"backoffLimit": 1}})
    job = job_manifest(spec, monitor="fraud", namespace="ml", uid="u1", now=1234.5, reason="drifting: x")
    assert job["metadata"]["name"] == "fraud-retrain-1234"
    assert job["metadata"]["labels"]["team"] == "ml"
    assert job["spec"] == {"backoffLimit": 1}
    assert job["metadata"]["ownerReferences"][0]["uid"] == "u1"
