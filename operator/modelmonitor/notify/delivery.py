"""Delivering the dispatcher's notifications: choose the webhook by route, build its payload, send, record.

Only delivered notifications are recorded in the alert state, so the dispatcher retries the others at
the next evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from modelmonitor.alerts.dispatch import AlertState, Notification, record_sent, webhook_for
from modelmonitor.alerts.payload import alertmanager_payload, json_payload
from modelmonitor.api.spec import AlertFormat, Alerting
from modelmonitor.notify.webhook import DeliveryResult, WebhookNotifier


async def deliver(
    notifier: WebhookNotifier,
    notifications: Sequence[Notification],
    alerting: Alerting,
    state: AlertState,
    now: datetime,
    *,
    external_url: str = "",
) -> tuple[AlertState, list[DeliveryResult]]:
    """Send each notification to its route's webhook; return the state with the delivered ones recorded.

    A notification whose route has no webhook configured is recorded as handled: there is nobody to tell,
    and keeping it pending would only grow the state.
    """
    results = []
    for notification in notifications:
        webhook = webhook_for(notification.route, alerting)
        if webhook is None:
            state = record_sent(state, notification, now)
            continue
        if webhook.format is AlertFormat.ALERTMANAGER:
            payload = alertmanager_payload(notification, external_url=external_url)
        else:
            payload = json_payload(notification)
        result = await notifier.send(webhook.url, payload)
        results.append(result)
        if result.delivered:
            state = record_sent(state, notification, now)
    return state, results
