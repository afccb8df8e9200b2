"""Which notifications to send now: grouping, deduplication, repeat interval, silences, resolved notices.

A pure state machine in the manner of Alertmanager's aggregation groups and notification log:

- Alerts are routed by severity (``page`` to the page receiver, everything else to the default one)
  and grouped by the values of ``group_by`` labels; one notification carries a whole group.
- Alerts are identified by their label fingerprint, so the same alert reported twice is one alert,
  and an unchanged group is not notified again before ``repeat_interval``.
- A group is notified at once when an alert starts firing in it, or when an alert that was notified
  as firing resolves (the resolved notice is sent once). ``group_interval`` spaces such updates.
- During a silence (a maintenance window) matching alerts are tracked but not notified; whatever
  changed is notified when the silence ends. An alert that fired and resolved entirely inside a
  silence is never notified.

:func:`dispatch` plans; the caller delivers and calls :func:`record_sent` for each delivered
notification, so a failed delivery is retried at the next evaluation. :class:`AlertState` converts to
and from JSON, so an operator restart continues where it left off (no re-notification storm, start
times kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from modelmonitor.alerts.model import Alert, AlertStatus
from modelmonitor.api.durations import parse_duration
from modelmonitor.api.spec import Alerting, Webhook

STATE_VERSION = 1


class Route(StrEnum):
    """Where a notification goes: pages to ``pageWebhook`` (or ``webhook``), the rest to ``webhook``."""

    PAGE = "page"
    DEFAULT = "default"


def route_of(alert: Alert) -> Route:
    """Pages are routed apart from everything else."""
    return Route.PAGE if alert.severity == "page" else Route.DEFAULT


def webhook_for(route: Route, alerting: Alerting) -> Webhook | None:
    """The spec's receiver of a route; ``None`` when no webhook is configured."""
    if route is Route.PAGE and alerting.page_webhook is not None:
        return alerting.page_webhook
    return alerting.webhook


def parse_time(text: str, field_name: str) -> datetime:
    """An RFC 3339 time with a zone (``Z`` or an offset); the error names ``field_name``."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{field_name}: {text!r} is not an RFC 3339 time") from None
    if value.tzinfo is None:
        raise ValueError(f"{field_name}: {text!r} has no time zone (add Z or an offset)")
    return value


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as Alertmanager writes it."""
    if value.tzinfo is None:
        raise ValueError(f"time {value.isoformat()} has no time zone")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Silence:
    """A maintenance window: alerts whose labels match ``matchers`` (all alerts when empty) are muted."""

    start: datetime
    end: datetime
    matchers: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("silence start and end must carry a time zone")
        if self.end <= self.start:
            raise ValueError(f"silence ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")

    def mutes(self, alert: Alert, now: datetime) -> bool:
        """Whether the silence is active at ``now`` and matches the alert."""
        return self.start <= now < self.end and all(alert.labels.get(k) == v for k, v in self.matchers.items())


@dataclass(frozen=True)
class DispatchConfig:
    """How alerts become notifications (``spec.alerting``)."""

    group_by: tuple[str, ...] = ("model", "version")
    repeat_interval_s: float = 4 * 3600.0
    group_interval_s: float = 0.0
    """Least time between two notifications of a group that carry news; 0 sends news at once."""
    silences: tuple[Silence, ...] = ()

    def __post_init__(self) -> None:
        if self.repeat_interval_s <= 0:
            raise ValueError(f"repeat interval must be positive, got {self.repeat_interval_s}s")
        if self.group_interval_s < 0:
            raise ValueError(f"group interval must not be negative, got {self.group_interval_s}s")

    @classmethod
    def from_spec(cls, alerting: Alerting, group_interval_s: float = 0.0) -> DispatchConfig:
        """Config from ``spec.alerting``; silence errors name ``alerting.silences[i]``."""
        silences = []
        for index, silence in enumerate(alerting.silences):
            where = f"alerting.silences[{index}]"
            start = parse_time(silence.start, f"{where}.start")
            end = parse_time(silence.end, f"{where}.end")
            if end <= start:
                raise ValueError(f"{where}: end {silence.end} is not after start {silence.start}")
            silences.append(Silence(start=start, end=end, reason=silence.reason))
        return cls(
            group_by=tuple(alerting.group_by),
            repeat_interval_s=parse_duration(alerting.repeat_interval),
            group_interval_s=group_interval_s,
            silences=tuple(silences),
        )

    def silenced(self, alert: Alert, now: datetime) -> bool:
        """Whether any silence mutes the alert now."""
        return any(silence.mutes(alert, now) for silence in self.silences)


def group_labels_of(alert: Alert, group_by: Sequence[str]) -> dict[str, str]:
    """The alert's values of the grouping labels; labels it lacks are left out (as Alertmanager does)."""
    return {name: alert.labels[name] for name in group_by if name in alert.labels}


def group_key(route: Route, group_labels: Mapping[str, str]) -> str:
    """Alertmanager-style group key, e.g. ``page:{model="fraud",version="v2"}``."""

    def quoted(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    inner = ",".join(f'{name}="{quoted(value)}"' for name, value in sorted(group_labels.items()))
    return f"{route.value}:{{{inner}}}"


@dataclass(frozen=True)
class Notification:
    """One message to one receiver: a group's firing alerts and its newly resolved ones."""

    route: Route
    group_key: str
    group_labels: Mapping[str, str]
    alerts: tuple[Alert, ...]

    @property
    def status(self) -> AlertStatus:
        """Firing while any alert in it fires."""
        firing = any(alert.status is AlertStatus.FIRING for alert in self.alerts)
        return AlertStatus.FIRING if firing else AlertStatus.RESOLVED

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.status is AlertStatus.FIRING)

    @property
    def resolved(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.status is AlertStatus.RESOLVED)


@dataclass(frozen=True)
class GroupLog:
    """What was last delivered for a group: when, and which alerts were firing in it."""

    sent_at: datetime
    firing: frozenset[str]


@dataclass(frozen=True)
class AlertState:
    """Alerts being tracked (firing, or resolved and awaiting their notice) and each group's log."""

    alerts: Mapping[str, Alert] = field(default_factory=dict)
    groups: Mapping[str, GroupLog] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for status or a ConfigMap)."""
        return {
            "version": STATE_VERSION,
            "alerts": [
                {
                    "labels": dict(alert.labels),
                    "annotations": dict(alert.annotations),
                    "startsAt": None if alert.starts_at is None else format_time(alert.starts_at),
                    "endsAt": None if alert.ends_at is None else format_time(alert.ends_at),
                }
                for _, alert in sorted(self.alerts.items())
            ],
            "groups": [
                {"key": key, "sentAt": format_time(log.sent_at), "firing": sorted(log.firing)}
                for key, log in sorted(self.groups.items())
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertState:
        """Rebuild from :meth:`to_json`; malformed state raises ``ValueError`` naming the entry."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"alert state: unsupported version {data.get('version')!r}, expected {STATE_VERSION}")
        alerts: dict[str, Alert] = {}
        groups: dict[str, GroupLog] = {}
        try:
            for index, item in enumerate(data.get("alerts", [])):
                where = f"alert state: alerts[{index}]"
                starts, ends = item.get("startsAt"), item.get("endsAt")
                alert = Alert(
                    labels=dict(item["labels"]),
                    annotations=dict(item.get("annotations", {})),
                    starts_at=None if starts is None else parse_time(starts, f"{where}.startsAt"),
                    ends_at=None if ends is None else parse_time(ends, f"{where}.endsAt"),
                )
                alerts[alert.fingerprint] = alert
            for index, item in enumerate(data.get("groups", [])):
                sent_at = parse_time(item["sentAt"], f"alert state: groups[{index}].sentAt")
                groups[str(item["key"])] = GroupLog(sent_at=sent_at, firing=frozenset(map(str, item["firing"])))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"alert state is malformed: {error!r}") from None
        return cls(alerts=alerts, groups=groups)


def _order(alert: Alert) -> tuple[datetime | None, list[tuple[str, str]]]:
    # Oldest first; equal starts read in label order, which people can predict (fingerprints they cannot).
    return alert.starts_at, sorted(alert.labels.items())


def dispatch(
    active: Iterable[Alert], state: AlertState, now: datetime, config: DispatchConfig
) -> tuple[list[Notification], AlertState]:
    """Plan the notifications due at ``now`` for the currently firing ``active`` alerts.

    Returns the notifications (grouped and routed) and the new state, in which group logs are not yet
    updated: call :func:`record_sent` for each notification that was delivered.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    current = {alert.fingerprint: alert for alert in active}  # the same labels twice are one alert
    tracked: dict[str, Alert] = {}
    for key, alert in current.items():
        previous = state.alerts.get(key)
        # A tracked alert keeps its start, even one that resolved but whose resolution was never announced:
        # as far as any receiver knows it has been firing all along.
        if previous is not None and previous.starts_at is not None:
            starts_at = previous.starts_at
        else:
            starts_at = alert.starts_at or now
        tracked[key] = alert.with_times(starts_at, None)
    for key, previous in state.alerts.items():
        if key not in current:
            tracked[key] = previous if previous.ends_at is not None else previous.with_times(previous.starts_at, now)

    members: dict[str, list[Alert]] = {}
    labels_of_group: dict[str, tuple[Route, dict[str, str]]] = {}
    for alert in tracked.values():
        route, labels = route_of(alert), group_labels_of(alert, config.group_by)
        key = group_key(route, labels)
        members.setdefault(key, []).append(alert)
        labels_of_group[key] = (route, labels)

    notifications = []
    for key in sorted(members):
        log = state.groups.get(key)
        visible = [a for a in members[key] if not config.silenced(a, now)]
        firing = {a.fingerprint for a in visible if a.status is AlertStatus.FIRING}
        resolved = {a.fingerprint for a in visible if a.status is AlertStatus.RESOLVED}
        to_resolve = resolved & log.firing if log is not None else set()
        if _is_due(firing, to_resolve, log, now, config):
            route, labels = labels_of_group[key]
            chosen = sorted((a for a in visible if a.fingerprint in firing | to_resolve), key=_order)
            notifications.append(Notification(route, key, labels, tuple(chosen)))

    # Resolved alerts are kept only while a receiver still has to hear that they resolved.
    def still_needed(alert: Alert) -> bool:
        if alert.status is AlertStatus.FIRING:
            return True
        log = state.groups.get(group_key(route_of(alert), group_labels_of(alert, config.group_by)))
        return log is not None and alert.fingerprint in log.firing

    kept = {key: alert for key, alert in tracked.items() if still_needed(alert)}
    live_groups = {group_key(route_of(a), group_labels_of(a, config.group_by)) for a in kept.values()}
    live_groups |= {n.group_key for n in notifications}
    groups = {key: log for key, log in state.groups.items() if key in live_groups}
    return notifications, AlertState(alerts=kept, groups=groups)


def _is_due(
    firing: set[str], to_resolve: set[str], log: GroupLog | None, now: datetime, config: DispatchConfig
) -> bool:
    if not firing and not to_resolve:
        return False
    if log is None:
        return True
    since = now - log.sent_at
    has_news = bool(firing - log.firing) or bool(to_resolve)
    if has_news and since >= timedelta(seconds=config.group_interval_s):
        return True
    return bool(firing) and since >= timedelta(seconds=config.repeat_interval_s)


def record_sent(state: AlertState, notification: Notification, now: datetime) -> AlertState:
    """The state after ``notification`` was delivered at ``now``: its group's log is updated and the
    alerts it announced as resolved are forgotten."""
    firing = frozenset(alert.fingerprint for alert in notification.firing)
    done = {alert.fingerprint for alert in notification.resolved}
    alerts = {key: alert for key, alert in state.alerts.items() if key not in done}
    groups = dict(state.groups)
    groups[notification.group_key] = GroupLog(sent_at=now, firing=firing)
    return AlertState(alerts=alerts, groups=groups)
