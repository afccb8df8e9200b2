"""Alerts and their fingerprints.

We test these aspects:
- the label signature equals Prometheus' LabelsToSignature on its published test vectors;
- the fingerprint is stable, independent of label order, and distinguishes values;
- an alert needs an alertname, valid label names, string values and zone-aware times;
- the alert copies its labels (later mutation by the caller does not change it);
- status follows the end time; name and severity come from labels; with_times keeps the identity;
- the doctests hold.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelmonitor.alerts.model import Alert, AlertStatus, fingerprint, label_signature

T0 = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("labels", "signature"),
    [
        # github.com/prometheus/common model/signature_test.go TestLabelsToSignature
        ({}, 14695981039346656037),
        ({"name": "garland, briggs", "fear": "love is not enough"}, 5799056148416392346),
    ],
)
def test_signature_matches_prometheus(labels: dict[str, str], signature: int) -> None:
    assert label_signature(labels) == signature


def test_fingerprint_is_order_independent_and_distinguishing() -> None:
    a = fingerprint({"alertname": "X", "severity": "page"})
    assert a == fingerprint({"severity": "page", "alertname": "X"})
    assert a != fingerprint({"alertname": "X", "severity": "ticket"})
    # The separator byte keeps name/value boundaries apart.
    assert fingerprint({"ab": "c"}) != fingerprint({"a": "bc"})
    assert len(a) == 16
    assert int(a, 16) == label_signature({"alertname": "X", "severity": "page"})


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"severity": "page"}, "need an alertname"),
        ({"alertname": "X", "bad-name": "v"}, "'bad-name' is not a valid"),
        ({"alertname": "X", "n": 1}, "label 'n' must be a string"),
    ],
)
def test_invalid_alerts_are_rejected(labels: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Alert(labels=labels)


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Alert(labels={"alertname": "X"}, starts_at=datetime(2026, 1, 1))


def test_alert_owns_its_labels() -> None:
    labels = {"alertname": "X"}
    alert = Alert(labels=labels)
    before = alert.fingerprint
    labels["severity"] = "page"
    assert alert.fingerprint == before
    assert "severity" not in alert.labels


def test_status_name_severity() -> None:
    alert = Alert(labels={"alertname": "Burn", "severity": "ticket"}, starts_at=T0)
    assert alert.status is AlertStatus.FIRING
    assert (alert.name, alert.severity) == ("Burn", "ticket")
    resolved = Alert(labels={"alertname": "Burn"}, starts_at=T0, ends_at=T0)
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.severity is None
    assert resolved.fingerprint == fingerprint({"alertname": "Burn"})


def test_with_times_keeps_identity() -> None:
    alert = Alert(labels={"alertname": "X"}, annotations={"a": "b"})
    ended = alert.with_times(T0, T0)
    assert (ended.starts_at, ended.ends_at, ended.fingerprint, ended.annotations) == (
        T0,
        T0,
        alert.fingerprint,
        {"a": "b"},
    )
    assert alert.starts_at is None
    with pytest.raises(ValueError, match="time zone"):
        alert.with_times(datetime(2026, 1, 1), None)


def test_doctests() -> None:
    import doctest

    from modelmonitor.alerts import model

    result = doctest.testmod(model)
    assert (result.attempted > 0, result.failed) == (True, 0)
