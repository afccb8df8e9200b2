"""The webhook notifier and delivery against a real aiohttp receiver on 127.0.0.1.

We test these aspects:
- a payload arrives as JSON with its content type, delivered in one attempt;
- 5xx and 429 answers are retried with doubling backoff (injected sleep, nothing waits), and give up after
  the configured attempts without raising; a 4xx other than 429 is not retried;
- a timeout and a refused connection are failures, not exceptions; so is a malformed URL;
- delivery routes pages to pageWebhook and the rest to webhook, in Alertmanager or plain JSON format, records
  only delivered notifications (the dispatcher re-plans the failed one), and treats a route without a webhook
  as handled.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from modelmonitor.alerts.dispatch import AlertState, DispatchConfig, dispatch
from modelmonitor.alerts.model import Alert
from modelmonitor.api.spec import Alerting
from modelmonitor.notify.delivery import deliver
from modelmonitor.notify.webhook import WebhookNotifier

T0 = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """Records what it receives; answers with the queued statuses, then 200."""

    base: str = ""
    received: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.path, await request.json(), request.content_type))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/{path:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def test_delivers_json(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    result = await WebhookNotifier(session).send(f"{receiver.base}/hook", {"status": "firing"})
    assert (result.delivered, result.attempts, result.status) == (True, 1, 200)
    assert receiver.received == [("/hook", {"status": "firing"}, "application/json")]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_retries_transient_failures(receiver: Receiver, session: aiohttp.ClientSession, status: int) -> None:
    receiver.statuses = [status, status]
    sleeps = Sleeps()
    notifier = WebhookNotifier(session, attempts=3, backoff_s=0.5, sleep=sleeps)
    result = await notifier.send(f"{receiver.base}/hook", {"n": 1})
    assert (result.delivered, result.attempts) == (True, 3)
    assert sleeps.calls == [0.5, 1.0]


async def test_gives_up_without_raising(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    receiver.statuses = [502] * 5
    sleeps = Sleeps()
    result = await WebhookNotifier(session, attempts=4, backoff_s=1, max_backoff_s=3, sleep=sleeps).send(
        f"{receiver.base}/hook", {}
    )
    assert (result.delivered, result.attempts, result.status, result.error) == (False, 4, 502, "HTTP 502")
    assert sleeps.calls == [1, 2, 3]


async def test_client_error_is_not_retried(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    receiver.statuses = [400]
    sleeps = Sleeps()
    result = await WebhookNotifier(session, sleep=sleeps).send(f"{receiver.base}/hook", {})
    assert (result.delivered, result.attempts, result.status) == (False, 1, 400)
    assert sleeps.calls == []


async def test_timeout_is_a_failure(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    receiver.delay_s = 0.3
    result = await WebhookNotifier(session, timeout_s=0.05, attempts=1).send(f"{receiver.base}/hook", {})
    assert (result.delivered, result.error) == (False, "timed out")


async def test_refused_connection_and_bad_url_are_failures(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    refused = await WebhookNotifier(session, attempts=2, sleep=sleeps).send(f"http://127.0.0.1:{port}/", {})
    assert (refused.delivered, refused.attempts, refused.status) == (False, 2, None)
    assert refused.error is not None
    bad = await WebhookNotifier(session, attempts=1).send("not a url", {})
    assert not bad.delivered
    unserialisable = await WebhookNotifier(session).send("http://127.0.0.1:1/", {"t": object()})
    assert (unserialisable.delivered, unserialisable.attempts) == (False, 0)


async def test_deliver_routes_formats_and_records(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    alerting = Alerting.model_validate(
        {
            "webhook": {"url": f"{receiver.base}/tickets", "format": "json"},
            "pageWebhook": {"url": f"{receiver.base}/pages"},
        }
    )
    labels = {"alertname": "Burn", "model": "fraud", "version": "v1"}
    alerts = [Alert(labels=labels | {"severity": "page"}), Alert(labels=labels | {"severity": "ticket"})]
    notifications, state = dispatch(alerts, AlertState(), T0, DispatchConfig())
    receiver.statuses = [500]  # the first POST (the ticket, routes sort default before page) fails
    notifier = WebhookNotifier(session, attempts=1)
    state, results = await deliver(notifier, notifications, alerting, state, T0, external_url="http://mm")
    assert [r.delivered for r in results] == [False, True]
    paths = [path for path, _, _ in receiver.received]
    assert paths == ["/tickets", "/pages"]
    ticket_body, page_body = receiver.received[0][1], receiver.received[1][1]
    assert ticket_body["title"] == "[FIRING:1] model=fraud version=v1"
    assert page_body["version"] == "4"
    assert page_body["externalURL"] == "http://mm"
    # Only the page was recorded: the next evaluation re-plans the ticket alone.
    again, _ = dispatch(alerts, state, T0, DispatchConfig())
    assert [n.route.value for n in again] == ["default"]


async def test_route_without_webhook_counts_as_handled(session: aiohttp.ClientSession) -> None:
    alerts = [Alert(labels={"alertname": "Burn", "severity": "page"})]
    notifications, state = dispatch(alerts, AlertState(), T0, DispatchConfig())
    state, results = await deliver(WebhookNotifier(session), notifications, Alerting(), state, T0)
    assert results == []
    assert dispatch(alerts, state, T0, DispatchConfig())[0] == []
