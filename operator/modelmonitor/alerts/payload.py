"""Notification bodies: Alertmanager's webhook format (version 4) and a plain JSON shape.

The Alertmanager format lets any receiver written for Alertmanager (chat bridges, incident tools)
take our notifications unchanged; the plain shape is for scripts that want fewer fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelmonitor.alerts.dispatch import Notification, Route, format_time
from modelmonitor.alerts.model import Alert

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Alertmanager's ``endsAt`` of an alert that is still firing (Go's zero time)."""


def receiver_name(route: Route) -> str:
    """The receiver name shown in payloads."""
    return "modelmonitor-page" if route is Route.PAGE else "modelmonitor"


def _common(mappings: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Pairs that every mapping has with the same value."""
    if not mappings:
        return {}
    first, *rest = mappings
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def _times(alert: Alert) -> tuple[str, str]:
    starts = ZERO_TIME if alert.starts_at is None else format_time(alert.starts_at)
    ends = ZERO_TIME if alert.ends_at is None else format_time(alert.ends_at)
    return starts, ends


def alertmanager_payload(
    notification: Notification, *, external_url: str = "", receiver: str | None = None
) -> dict[str, Any]:
    """The body Alertmanager POSTs to a ``webhook_config`` receiver (``version: "4"``)."""
    alerts = []
    for alert in notification.alerts:
        starts, ends = _times(alert)
        alerts.append(
            {
                "status": alert.status.value,
                "labels": dict(alert.labels),
                "annotations": dict(alert.annotations),
                "startsAt": starts,
                "endsAt": ends,
                "generatorURL": external_url,
                "fingerprint": alert.fingerprint,
            }
        )
    return {
        "version": "4",
        "groupKey": notification.group_key,
        "truncatedAlerts": 0,
        "status": notification.status.value,
        "receiver": receiver or receiver_name(notification.route),
        "groupLabels": dict(notification.group_labels),
        "commonLabels": _common([a.labels for a in notification.alerts]),
        "commonAnnotations": _common([a.annotations for a in notification.alerts]),
        "externalURL": external_url,
        "alerts": alerts,
    }


def title(notification: Notification) -> str:
    """A one-line subject, e.g. ``[FIRING:2] model=fraud version=v2``."""
    status = notification.status.value.upper()
    count = len(notification.firing) if notification.firing else len(notification.resolved)
    group = " ".join(f"{k}={v}" for k, v in sorted(notification.group_labels.items()))
    return f"[{status}:{count}] {group}".rstrip()


def json_payload(notification: Notification) -> dict[str, Any]:
    """A plain JSON body: a title, the group, and each alert's name, severity, status, times and text."""
    alerts = []
    for alert in notification.alerts:
        alerts.append(
            {
                "name": alert.name,
                "severity": alert.severity,
                "status": alert.status.value,
                "fingerprint": alert.fingerprint,
                "labels": dict(alert.labels),
                "annotations": dict(alert.annotations),
                "startsAt": None if alert.starts_at is None else format_time(alert.starts_at),
                "endsAt": None if alert.ends_at is None else format_time(alert.ends_at),
            }
        )
    return {
        "title": title(notification),
        "status": notification.status.value,
        "route": notification.route.value,
        "groupKey": notification.group_key,
        "group": dict(notification.group_labels),
        "alerts": alerts,
    }
