"""Laws of the dispatcher over random alert histories (hypothesis, derandomized).

We test these aspects:
- after each delivered step, every active alert is known to its receiver as firing (no silences, no group
  interval), and no group is notified twice in one step;
- a resolved notice is only ever sent for an alert its group last heard as firing, and only once;
- the state survives a JSON round trip at every step (so a restart at any moment changes nothing);
- one evaluation after everything resolved and was delivered, the state is empty: nothing leaks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.alerts.dispatch import AlertState, DispatchConfig, dispatch, record_sent
from modelmonitor.alerts.model import Alert, AlertStatus

T0 = datetime(2026, 11, 27, tzinfo=UTC)
POOL = [
    Alert(labels={"alertname": "Burn", "model": "m", "version": v, "slo": s, "severity": sev})
    for v in ("v1", "v2")
    for s in ("availability", "latency")
    for sev in ("page", "ticket")
]
CONFIG = DispatchConfig(group_by=("model", "version"), repeat_interval_s=3600)

histories = st.lists(
    st.tuples(st.integers(min_value=1, max_value=90), st.sets(st.integers(min_value=0, max_value=len(POOL) - 1))),
    min_size=1,
    max_size=25,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(histories)
def test_dispatcher_laws(history: list[tuple[int, set[int]]]) -> None:
    state, now = AlertState(), T0
    heard_firing: dict[str, set[str]] = {}  # group key -> fingerprints the receiver last heard as firing
    resolved_sent: set[tuple[str, datetime | None]] = set()
    for step_minutes, indices in [*history, (1, set()), (1, set())]:
        now += timedelta(minutes=step_minutes)
        active = [POOL[i] for i in indices]
        notifications, state = dispatch(active, state, now, CONFIG)
        keys = [n.group_key for n in notifications]
        assert len(keys) == len(set(keys))
        for notification in notifications:
            for alert in notification.resolved:
                assert alert.fingerprint in heard_firing.get(notification.group_key, set())
                identity = (alert.fingerprint, alert.starts_at)
                assert identity not in resolved_sent
                resolved_sent.add(identity)
            heard_firing[notification.group_key] = {a.fingerprint for a in notification.firing}
            state = record_sent(state, notification, now)
        known_firing = set().union(*heard_firing.values()) if heard_firing else set()
        assert {a.fingerprint for a in active} <= known_firing
        assert AlertState.from_json(json.loads(json.dumps(state.to_json()))) == state
        assert all(a.status is AlertStatus.FIRING for a in state.alerts.values())
    assert state == AlertState()
