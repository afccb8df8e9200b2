"""Notification payloads.

We test these aspects:
- the Alertmanager webhook body has every field of version 4 with the right values: groupKey, status,
  receiver per route, groupLabels, commonLabels/commonAnnotations (only shared pairs), externalURL, and per
  alert status, labels, annotations, RFC 3339 startsAt/endsAt (Go zero time while firing), fingerprint;
- a notification of only resolved alerts has status resolved;
- the plain JSON body carries a title, the group and each alert's essentials, and is JSON-serialisable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from modelmonitor.alerts.dispatch import AlertState, DispatchConfig, Notification, Route, dispatch
from modelmonitor.alerts.model import Alert
from modelmonitor.alerts.payload import alertmanager_payload, json_payload, title

T0 = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
PAGE = {"alertname": "Burn", "model": "fraud", "version": "v1", "severity": "page"}


def notification() -> Notification:
    alerts = [
        Alert(labels=PAGE | {"slo": "availability"}, annotations={"summary": "a", "team": "ml"}),
        Alert(labels=PAGE | {"slo": "latency"}, annotations={"summary": "b", "team": "ml"}),
    ]
    (sent,), _ = dispatch(alerts, AlertState(), T0, DispatchConfig())
    return sent


def test_alertmanager_payload() -> None:
    body = alertmanager_payload(notification(), external_url="http://operator/mm")
    assert body == {
        "version": "4",
        "groupKey": 'page:{model="fraud",version="v1"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "modelmonitor-page",
        "groupLabels": {"model": "fraud", "version": "v1"},
        "commonLabels": {"alertname": "Burn", "model": "fraud", "version": "v1", "severity": "page"},
        "commonAnnotations": {"team": "ml"},
        "externalURL": "http://operator/mm",
        "alerts": [
            {
                "status": "firing",
                "labels": PAGE | {"slo": slo},
                "annotations": {"summary": summary, "team": "ml"},
                "startsAt": "2026-11-27T04:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://operator/mm",
                "fingerprint": Alert(labels=PAGE | {"slo": slo}).fingerprint,
            }
            for slo, summary in [("availability", "a"), ("latency", "b")]
        ],
    }
    json.dumps(body)


def test_resolved_payload() -> None:
    alert = Alert(labels={"alertname": "Burn"}, starts_at=T0, ends_at=T0 + timedelta(minutes=90))
    resolved = Notification(Route.DEFAULT, "default:{}", {}, (alert,))
    body = alertmanager_payload(resolved, receiver="team-ml")
    assert body["status"] == "resolved"
    assert body["receiver"] == "team-ml"
    assert body["alerts"][0]["endsAt"] == "2026-11-27T05:30:00Z"
    assert body["commonAnnotations"] == {}
    assert title(resolved) == "[RESOLVED:1]"


def test_json_payload() -> None:
    body = json_payload(notification())
    assert body["title"] == "[FIRING:2] model=fraud version=v1"
    assert body["status"] == "firing"
    assert body["route"] == "page"
    assert body["group"] == {"model": "fraud", "version": "v1"}
    first = body["alerts"][0]
    assert (first["name"], first["severity"], first["status"]) == ("Burn", "page", "firing")
    assert first["startsAt"] == "2026-11-27T04:00:00Z"
    assert first["endsAt"] is None
    assert first["annotations"]["summary"] == "a"
    json.dumps(body)
