"""Admission webhooks: inject the sidecar into opted-in pods, reject invalid ModelMonitor specs."""

from __future__ import annotations

from typing import Any

import jsonpatch
import kopf

from modelmonitor.api.crd import GROUP, PLURAL, VERSION
from modelmonitor.api.validation import SpecError, parse_spec
from modelmonitor.handlers.context import OperatorContext
from modelmonitor.injection.mutate import mutate
from modelmonitor.wiring import keys
from modelmonitor.wiring.webhooks import INJECT_WEBHOOK_ID, VALIDATE_WEBHOOK_ID


def register(registry: kopf.OperatorRegistry, ctx: OperatorContext) -> None:
    injection = ctx.config.injection()
    reviews = ctx.metrics.admission_reviews

    @kopf.on.mutate(
        "v1",
        "pods",
        id=INJECT_WEBHOOK_ID,
        operations={"CREATE"},
        labels={keys.INJECT_LABEL: keys.INJECT_VALUE},
        ignore_failures=True,
        registry=registry,
    )
    def inject(body: kopf.Body, patch: kopf.Patch, logger: kopf.Logger, **_: Any) -> None:
        ops = mutate(body, injection)
        if not ops:
            reviews.labels(INJECT_WEBHOOK_ID, "skipped").inc()
            return
        # Kopf diffs the body before and after its patch functions, so only these additions go out.
        patch.fns.append(lambda raw: jsonpatch.apply_patch(raw, ops, in_place=True))
        reviews.labels(INJECT_WEBHOOK_ID, "injected").inc()
        logger.info("Injecting the modelmonitor sidecar.")

    @kopf.on.validate(
        GROUP, VERSION, PLURAL, id=VALIDATE_WEBHOOK_ID, operations={"CREATE", "UPDATE"}, registry=registry
    )
    def validate(body: kopf.Body, **_: Any) -> None:
        try:
            parse_spec(body.get("spec"))
        except SpecError as error:
            reviews.labels(VALIDATE_WEBHOOK_ID, "denied").inc()
            raise kopf.AdmissionError(str(error), code=422) from None
        reviews.labels(VALIDATE_WEBHOOK_ID, "allowed").inc()
