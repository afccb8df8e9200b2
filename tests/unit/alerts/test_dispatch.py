"""The dispatcher: grouping, dedupe, repeat interval, resolved notices, silences, routing, restart safety.

We test these aspects:
- a new alert is notified at once; the same alert (even reported twice) is not re-sent before the repeat
  interval, and is re-sent after it;
- alerts are grouped by the groupBy labels (missing labels left out) and pages are routed apart from tickets;
- a new alert joining a notified group notifies the group (with all its firing alerts); group_interval spaces it;
- a resolved alert is notified once, only if it was notified as firing, and then forgotten;
- silences mute matching alerts; what changed is sent when the silence ends; an alert that fired and resolved
  inside a silence is never sent, nor is a flap (resolve and re-fire) of a notified alert inside one;
  silences from the spec are parsed and bad ones name the field;
- a failed delivery (no record_sent) is retried at the next evaluation;
- the state round-trips through JSON: after a "restart" nothing is re-sent and start times are kept;
  malformed state is rejected;
- webhook routing from the spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from modelmonitor.alerts.dispatch import (
    AlertState,
    DispatchConfig,
    Notification,
    Route,
    Silence,
    dispatch,
    group_key,
    record_sent,
    webhook_for,
)
from modelmonitor.alerts.model import Alert, AlertStatus
from modelmonitor.api.spec import Alerting

T0 = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
CONFIG = DispatchConfig(group_by=("model", "version"), repeat_interval_s=4 * 3600)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def burn(slo: str = "availability", severity: str = "page", version: str = "v1", **extra: str) -> Alert:
    labels = {"alertname": "Burn", "model": "fraud", "version": version, "slo": slo, "severity": severity}
    return Alert(labels=labels | extra, annotations={"summary": f"{slo} burning"})


class Loop:
    """Drives the dispatcher like the analysis loop: dispatch, deliver (or not), record."""

    def __init__(self, config: DispatchConfig = CONFIG) -> None:
        self.config = config
        self.state = AlertState()

    def step(self, at: datetime, active: Iterable[Alert], deliver: bool = True) -> list[Notification]:
        notifications, self.state = dispatch(active, self.state, at, self.config)
        if deliver:
            for notification in notifications:
                self.state = record_sent(self.state, notification, at)
        return notifications


def names(notification: Notification) -> list[tuple[str, str]]:
    return [(a.labels["slo"], a.status.value) for a in notification.alerts]


def test_new_alert_is_sent_at_once_then_deduplicated_until_repeat() -> None:
    loop = Loop()
    (first,) = loop.step(T0, [burn(), burn()])  # the same labels twice are one alert
    assert first.status is AlertStatus.FIRING
    assert names(first) == [("availability", "firing")]
    assert first.alerts[0].starts_at == T0
    for m in (1, 30, 239):
        assert loop.step(minutes(m), [burn()]) == []
    (repeat,) = loop.step(minutes(240), [burn()])
    assert repeat.alerts[0].starts_at == T0
    assert loop.step(minutes(241), [burn()]) == []


def test_grouping_and_routing() -> None:
    loop = Loop()
    alerts = [
        burn("availability", "page", "v1"),
        burn("latency", "page", "v1"),
        burn("latency", "ticket", "v1"),
        burn("availability", "page", "v2"),
        Alert(labels={"alertname": "Drift", "model": "fraud"}),  # no version label: its own group
    ]
    sent = {n.group_key: n for n in loop.step(T0, alerts)}
    assert sorted(sent) == [
        'default:{model="fraud",version="v1"}',
        'default:{model="fraud"}',
        'page:{model="fraud",version="v1"}',
        'page:{model="fraud",version="v2"}',
    ]
    assert names(sent['page:{model="fraud",version="v1"}']) == [("availability", "firing"), ("latency", "firing")]
    assert sent['page:{model="fraud",version="v1"}'].route is Route.PAGE
    assert sent['default:{model="fraud",version="v1"}'].route is Route.DEFAULT
    assert sent['default:{model="fraud"}'].group_labels == {"model": "fraud"}


def test_group_by_nothing_puts_each_route_in_one_group() -> None:
    loop = Loop(DispatchConfig(group_by=()))
    sent = loop.step(T0, [burn(version="v1"), burn(version="v2"), burn(severity="ticket")])
    assert [(n.group_key, len(n.alerts)) for n in sent] == [("default:{}", 1), ("page:{}", 2)]


def test_new_alert_in_notified_group_resends_the_group() -> None:
    loop = Loop()
    loop.step(T0, [burn("availability")])
    (update,) = loop.step(minutes(2), [burn("availability"), burn("latency")])
    assert names(update) == [("availability", "firing"), ("latency", "firing")]
    assert loop.step(minutes(3), [burn("availability"), burn("latency")]) == []


def test_group_interval_spaces_news() -> None:
    loop = Loop(DispatchConfig(repeat_interval_s=3600, group_interval_s=300))
    loop.step(T0, [burn("availability")])
    assert loop.step(minutes(2), [burn("availability"), burn("latency")]) == []
    (update,) = loop.step(minutes(5), [burn("availability"), burn("latency")])
    assert len(update.alerts) == 2


def test_resolved_is_sent_once_then_forgotten() -> None:
    loop = Loop()
    loop.step(T0, [burn("availability"), burn("latency")])
    (update,) = loop.step(minutes(10), [burn("latency")])
    assert update.status is AlertStatus.FIRING
    assert names(update) == [("availability", "resolved"), ("latency", "firing")]
    assert update.resolved[0].ends_at == minutes(10)
    assert update.resolved[0].starts_at == T0
    (last,) = loop.step(minutes(20), [])
    assert last.status is AlertStatus.RESOLVED
    assert names(last) == [("latency", "resolved")]
    assert loop.step(minutes(30), []) == []
    assert loop.state == AlertState()


def test_refiring_after_resolution_is_a_new_alert() -> None:
    loop = Loop()
    loop.step(T0, [burn()])
    loop.step(minutes(10), [])
    (again,) = loop.step(minutes(11), [burn()])
    assert again.alerts[0].starts_at == minutes(11)


def test_flap_inside_a_silence_is_invisible() -> None:
    loop = Loop(DispatchConfig(silences=(Silence(start=minutes(5), end=minutes(60)),)))
    loop.step(T0, [burn()])
    assert loop.step(minutes(10), []) == []  # resolved, but the notice is held back
    assert loop.step(minutes(20), [burn()]) == []  # fires again before anyone heard it resolved
    assert loop.step(minutes(60), [burn()]) == []  # nothing changed for the receiver
    (repeat,) = loop.step(minutes(240), [burn()])
    assert repeat.alerts[0].starts_at == T0


def test_failed_delivery_is_retried() -> None:
    loop = Loop()
    assert len(loop.step(T0, [burn()], deliver=False)) == 1
    (retry,) = loop.step(minutes(1), [burn()])
    assert retry.alerts[0].starts_at == T0
    loop.step(minutes(5), [], deliver=False)
    (resolved_retry,) = loop.step(minutes(6), [])
    assert resolved_retry.status is AlertStatus.RESOLVED
    assert resolved_retry.alerts[0].ends_at == minutes(5)


def test_silence_mutes_then_releases() -> None:
    window = Silence(start=minutes(5), end=minutes(60), reason="maintenance")
    loop = Loop(DispatchConfig(silences=(window,)))
    loop.step(T0, [burn("availability")])
    # Inside the silence: a new alert and a resolution are both held back.
    assert loop.step(minutes(10), [burn("latency")]) == []
    assert loop.step(minutes(59), [burn("latency")]) == []
    (after,) = loop.step(minutes(60), [burn("latency")])
    assert names(after) == [("availability", "resolved"), ("latency", "firing")]
    assert after.alerts[1].starts_at == minutes(10)


def test_alert_that_fires_and_resolves_inside_a_silence_is_never_sent() -> None:
    loop = Loop(DispatchConfig(silences=(Silence(start=T0, end=minutes(60)),)))
    assert loop.step(minutes(1), [burn()]) == []
    assert loop.step(minutes(30), []) == []
    assert loop.step(minutes(61), []) == []
    assert loop.state == AlertState()


def test_silence_matchers_mute_only_matching_alerts() -> None:
    silence = Silence(start=T0, end=minutes(60), matchers={"slo": "latency"})
    loop = Loop(DispatchConfig(silences=(silence,)))
    (sent,) = loop.step(minutes(1), [burn("availability"), burn("latency")])
    assert names(sent) == [("availability", "firing")]


def test_silences_from_spec() -> None:
    alerting = Alerting.model_validate(
        {
            "groupBy": ["model"],
            "repeatInterval": "1h",
            "silences": [{"start": "2026-11-27T04:00:00Z", "end": "2026-11-27T06:00:00+01:00", "reason": "upgrade"}],
        }
    )
    config = DispatchConfig.from_spec(alerting)
    assert config.group_by == ("model",)
    assert config.repeat_interval_s == 3600
    assert config.silenced(burn(), minutes(30))
    assert not config.silenced(burn(), minutes(60))  # 06:00+01:00 is 05:00Z


@pytest.mark.parametrize(
    ("silence", "message"),
    [
        ({"start": "yesterday", "end": "2026-11-27T06:00:00Z"}, r"alerting.silences\[0\].start: 'yesterday' is not"),
        ({"start": "2026-11-27T04:00:00Z", "end": "2026-11-27T06:00:00"}, r"silences\[0\].end: .* has no time zone"),
        ({"start": "2026-11-27T06:00:00Z", "end": "2026-11-27T04:00:00Z"}, r"silences\[0\]: end .* is not after"),
    ],
)
def test_bad_spec_silences_name_the_field(silence: dict[str, str], message: str) -> None:
    alerting = Alerting.model_validate({"silences": [silence]})
    with pytest.raises(ValueError, match=message):
        DispatchConfig.from_spec(alerting)


def test_state_survives_a_restart_through_json() -> None:
    loop = Loop()
    loop.step(T0, [burn("availability"), burn("latency", "ticket")])
    saved = json.loads(json.dumps(loop.state.to_json()))
    restarted = Loop()
    restarted.state = AlertState.from_json(saved)
    assert restarted.state == loop.state
    assert restarted.step(minutes(1), [burn("availability"), burn("latency", "ticket")]) == []
    (resolved,) = restarted.step(minutes(2), [burn("latency", "ticket")])
    assert names(resolved) == [("availability", "resolved")]
    assert resolved.alerts[0].starts_at == T0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 99}, "unsupported version"),
        ({"version": 1, "alerts": [{"annotations": {}}]}, "malformed"),
        ({"version": 1, "groups": [{"key": "k", "sentAt": "now", "firing": []}]}, r"groups\[0\].sentAt"),
    ],
)
def test_malformed_state_is_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AlertState.from_json(data)


def test_naive_now_and_bad_intervals_are_rejected() -> None:
    with pytest.raises(ValueError, match="time zone"):
        dispatch([], AlertState(), datetime(2026, 1, 1), CONFIG)
    with pytest.raises(ValueError, match="repeat interval"):
        DispatchConfig(repeat_interval_s=0)
    with pytest.raises(ValueError, match="ends"):
        Silence(start=minutes(5), end=minutes(5))


def test_group_key_format() -> None:
    assert group_key(Route.PAGE, {"version": "v2", "model": "m"}) == 'page:{model="m",version="v2"}'
    assert group_key(Route.DEFAULT, {"model": 'a"b\\c'}) == 'default:{model="a\\"b\\\\c"}'


def test_webhook_routing_from_spec() -> None:
    both = Alerting.model_validate({"webhook": {"url": "http://a/"}, "pageWebhook": {"url": "http://p/"}})
    only = Alerting.model_validate({"webhook": {"url": "http://a/"}})
    assert webhook_for(Route.PAGE, both).url == "http://p/"  # type: ignore[union-attr]
    assert webhook_for(Route.DEFAULT, both).url == "http://a/"  # type: ignore[union-attr]
    assert webhook_for(Route.PAGE, only).url == "http://a/"  # type: ignore[union-attr]
    assert webhook_for(Route.PAGE, Alerting()) is None
