"""ModelMonitor create/update/resume/delete: thin shells over :mod:`modelmonitor.kube.monitors`."""

from __future__ import annotations

import time
from typing import Any

import kopf

from modelmonitor.api.crd import GROUP, PLURAL, VERSION
from modelmonitor.api.status import ConditionStatus, ConditionType
from modelmonitor.api.validation import SpecError, parse_spec
from modelmonitor.handlers.context import OperatorContext
from modelmonitor.handlers.reporting import post_actions, report
from modelmonitor.kube import monitors
from modelmonitor.wiring.conditions import Observation


def register(registry: kopf.OperatorRegistry, ctx: OperatorContext) -> None:
    metrics = ctx.metrics

    @kopf.on.resume(GROUP, VERSION, PLURAL, id="wire", registry=registry)
    @kopf.on.create(GROUP, VERSION, PLURAL, id="wire", registry=registry)
    @kopf.on.update(GROUP, VERSION, PLURAL, id="wire", registry=registry)
    async def wire(body: kopf.Body, name: str, namespace: str, uid: str, patch: kopf.Patch, retry: int, **_: Any) -> None:
        started = time.perf_counter()
        try:
            spec = parse_spec(body.get("spec"))
        except SpecError as error:
            report(body, patch, [Observation(ConditionType.READY, ConditionStatus.FALSE, "InvalidSpec", str(error))],
                   ctx.now())
            metrics.reconciliations.labels("wire", "invalid").inc()
            return
        outcome = await monitors.wire(ctx.api, namespace=namespace, name=name, uid=uid, spec=spec)
        post_actions(body, outcome.actions)
        for reason, _message in outcome.actions:
            metrics.writes.labels(reason).inc()
        report(body, patch, [outcome.ready], ctx.now())
        metrics.reconcile_duration.labels("wire").observe(time.perf_counter() - started)
        result = "ready" if outcome.ready.status is ConditionStatus.TRUE else "retry" if outcome.retry else "not_ready"
        metrics.reconciliations.labels("wire", result).inc()
        if outcome.retry:
            raise kopf.TemporaryError(outcome.ready.message, delay=ctx.config.retry_delay(retry))

    @kopf.on.delete(GROUP, VERSION, PLURAL, id="unwire", registry=registry)
    async def unwire(body: kopf.Body, name: str, namespace: str, **_: Any) -> None:
        started = time.perf_counter()
        actions = await monitors.unwire(ctx.api, namespace=namespace, name=name, raw_spec=body.get("spec"))
        post_actions(body, actions)
        for reason, _message in actions:
            metrics.writes.labels(reason).inc()
        metrics.reconcile_duration.labels("unwire").observe(time.perf_counter() - started)
        metrics.reconciliations.labels("unwire", "ready").inc()
