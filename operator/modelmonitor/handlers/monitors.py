"""ModelMonitor create/update/resume/delete: thin shells over :mod:`modelmonitor.kube.monitors`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
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

    def record(handler: str, result: str, actions: list[tuple[str, str]], started: float) -> None:
        for reason, _message in actions:
            metrics.writes.labels(reason).inc()
        metrics.reconcile_duration.labels(handler).observe(time.perf_counter() - started)
        metrics.reconciliations.labels(handler, result).inc()

    @kopf.on.resume(GROUP, VERSION, PLURAL, id="wire", registry=registry)
    @kopf.on.create(GROUP, VERSION, PLURAL, id="wire", registry=registry)
    @kopf.on.update(GROUP, VERSION, PLURAL, id="wire", registry=registry)
    async def wire(
        body: kopf.Body,
        name: str,
        namespace: str | None,
        uid: str,
        retry: int,
        old: Any = None,
        **_: Any,
    ) -> None:
        started = time.perf_counter()
        try:
            spec = parse_spec(body.get("spec"))
        except SpecError as error:
            invalid = Observation(ConditionType.READY, ConditionStatus.FALSE, "InvalidSpec", str(error))
            await report(ctx, body, [invalid])
            record("wire", "invalid", [], started)
            return  # nothing else: an invalid spec changes no workload
        old_spec = old.get("spec") if isinstance(old, Mapping) else None  # set on updates only
        outcome = await monitors.wire(
            ctx.api, namespace=namespace or "default", name=name, uid=uid, spec=spec, old_raw_spec=old_spec
        )
        post_actions(body, outcome.actions)
        await report(ctx, body, [outcome.ready])
        ready = outcome.ready.status is ConditionStatus.TRUE
        record("wire", "ready" if ready else "retry" if outcome.retry else "not_ready", outcome.actions, started)
        if outcome.retry:
            raise kopf.TemporaryError(outcome.ready.message, delay=ctx.config.retry_delay(retry))

    @kopf.on.delete(GROUP, VERSION, PLURAL, id="unwire", registry=registry)
    async def unwire(body: kopf.Body, name: str, namespace: str | None, **_: Any) -> None:
        started = time.perf_counter()
        raw_spec = body.get("spec")
        actions = await monitors.unwire(ctx.api, namespace=namespace or "default", name=name, raw_spec=raw_spec)
        post_actions(body, actions)
        record("unwire", "ready", actions, started)
        with contextlib.suppress(KeyError):  # no stale series for a monitor that is gone
            metrics.pods_missing_sidecar.remove(namespace or "default", name)
