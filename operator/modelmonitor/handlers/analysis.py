"""The analysis loop: a Kopf timer per ModelMonitor that collects, evaluates and reports.

Kopf timers have one interval for all objects, so the timer ticks at ``tick_s`` and each monitor is
evaluated when its own ``spec.analysis.interval`` has passed since its last evaluation. One
evaluation (:meth:`AnalysisLoop.evaluate_once`):

1. collect the counts of every window the spec reads from its source (``modelmonitor.sources``);
   "no data" (no ready pod, no sidecar answering, no Prometheus) is reported as Unknown;
2. evaluate them, pure (``analysis.evaluate``), with the memory of earlier evaluations (drift
   streaks, drift-SLI events) read once from the state ConfigMap (``sources.state``);
3. write conditions, summaries and phase in one resourceVersion-guarded JSON patch of the status,
   post an Event for every condition whose reason changed, set the gauges;
4. turn burning SLOs into alerts, plan notifications (``alerts.dispatch``), POST them
   (``notify.webhook``) and record only what was delivered;
5. when drift or an accuracy SLO stayed breached for ``retraining.after``, create a Job from
   ``retraining.jobTemplate`` (once per cooldown, after approval if required); save the state if it changed.

Restart safety: burn-rate windows come from the sidecars' rings at every evaluation (a restarted
operator sees the same windows at once, and windows not covered by history are no data); drift
streaks and the alert log come back from the ConfigMap, so nothing re-fires or is re-sent.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp
import kopf

from modelmonitor.alerts.dispatch import DispatchConfig, dispatch, record_sent, webhook_for
from modelmonitor.alerts.payload import alertmanager_payload, json_payload
from modelmonitor.alerts.slo_alerts import burn_alerts
from modelmonitor.analysis import report
from modelmonitor.analysis.evaluate import AnalysisResult, evaluate, required_windows
from modelmonitor.analysis.retraining import APPROVAL_ANNOTATION, RetrainingState, breach_reason, decide, job_manifest
from modelmonitor.api.crd import GROUP, PLURAL, VERSION
from modelmonitor.api.durations import parse_duration
from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.api.spec import AlertFormat, AnalysisSource, ModelMonitorSpec
from modelmonitor.api.status import ConditionStatus, ConditionType
from modelmonitor.api.validation import SpecError, parse_spec
from modelmonitor.handlers.context import OperatorContext
from modelmonitor.kube.client import KubeError
from modelmonitor.kube.status import CONFLICT, monitor_path
from modelmonitor.notify.webhook import WebhookNotifier
from modelmonitor.slo.windows import BudgetPolicy
from modelmonitor.sources.base import Collection, NoData, SnapshotSource
from modelmonitor.sources.prometheus import PrometheusSource
from modelmonitor.sources.sidecars import SidecarSource
from modelmonitor.sources.state import LoopState, StateStore
from modelmonitor.wiring.conditions import Observation, changed_reasons, status_json_patch, status_patch
from modelmonitor.wiring.reference import ReferenceError, profile_from_config_map
from modelmonitor.wiring.shapes import dig, mapping

log = logging.getLogger("modelmonitor.analysis")

DEFAULT_TICK_S = 1.0
DEFAULT_MIN_EVENTS = 100
"""Events a burn-rate window needs to be judged: below it one error is a 1 % error ratio, so a
low-traffic window is "no data" (insufficient samples), never a page."""

SourceFactory = Callable[[aiohttp.ClientSession, str, ModelMonitorSpec], SnapshotSource]


def _is_ready(body: Mapping[str, Any]) -> bool:
    conditions = mapping(body.get("status")).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions if isinstance(c, dict))


def _rfc3339(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AnalysisLoop:
    """The analysis loop's state in one operator process (sessions, caches, last-run times)."""

    def __init__(
        self,
        ctx: OperatorContext,
        *,
        policy: Sequence[BudgetPolicy] | None = None,
        clock: Callable[[], float] = time.time,
        min_events: int = DEFAULT_MIN_EVENTS,
        min_coverage: float = 0.9,
        source_factory: SourceFactory | None = None,
        fetch_timeout_s: float = 5.0,
    ) -> None:
        self.ctx = ctx
        # None: each monitor's own rules (spec.alerting.burnRateRules, else the SRE workbook's).
        self.policy = None if policy is None else tuple(policy)
        self.clock = clock
        self.min_events = min_events
        self.min_coverage = min_coverage
        self.fetch_timeout_s = fetch_timeout_s
        self.source_factory = source_factory
        self.state = StateStore(ctx.api)
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._loaded: dict[tuple[str, str], LoopState] = {}
        self._last_run: dict[tuple[str, str], float] = {}
        self._profiles: dict[tuple[str, str, str], ReferenceProfile] = {}
        self._series: dict[tuple[str, str], set[tuple[str, tuple[str, ...]]]] = {}
        self._retraining_action: dict[tuple[str, str], str] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        return self._session

    async def close(self) -> None:
        self._closing = True  # Kopf may tick once more while it exits: nothing is collected then
        if self._session is not None:
            await self._session.close()

    def due(self, namespace: str, name: str, spec: ModelMonitorSpec, now: float) -> bool:
        last = self._last_run.get((namespace, name))
        # A little slack: a tick that lands a hair early must not skip a whole interval.
        return last is None or now - last >= parse_duration(spec.analysis.interval) - 0.05

    def source(
        self, namespace: str, name: str, spec: ModelMonitorSpec, reference: ReferenceProfile | None = None
    ) -> SnapshotSource | NoData:
        if self.source_factory is not None:
            return self.source_factory(self.session, namespace, spec)
        if spec.analysis.source is AnalysisSource.PROMETHEUS:
            # Bin labels are indexes: the source names them with the reference's edges and categories.
            return PrometheusSource(self.session, spec, model=spec.model.name or name, reference=reference)
        return SidecarSource(self.session, self.ctx.api, namespace=namespace, spec=spec, timeout_s=self.fetch_timeout_s)

    async def profile(self, namespace: str, spec: ModelMonitorSpec) -> ReferenceProfile | None:
        """The reference profile, parsed once per ConfigMap resourceVersion."""
        if spec.reference is None:
            return None
        found = await self.ctx.api.get(f"/api/v1/namespaces/{namespace}/configmaps/{spec.reference.config_map}")
        if found is None:
            return None
        key = (namespace, spec.reference.config_map, str(dig(found, "metadata").get("resourceVersion")))
        if key not in self._profiles:
            try:
                self._profiles[key] = profile_from_config_map(found, spec.reference.key)
            except ReferenceError as error:
                log.warning("reference of %s/%s unusable: %s", namespace, spec.reference.config_map, error)
                return None
        return self._profiles[key]

    async def tick(self, body: kopf.Body) -> AnalysisResult | NoData | None:
        """Evaluate the monitor if it is wired and due; ``None`` when skipped."""
        meta = dig(body, "metadata")
        namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
        if self._closing or not _is_ready(body):
            return None
        try:
            spec = parse_spec(body.get("spec"))
        except SpecError:
            return None
        now = self.clock()
        if not self.due(namespace, name, spec, now):
            return None
        self._last_run[namespace, name] = now
        started = time.perf_counter()
        try:
            return await self.evaluate_once(body, namespace, name, spec, now)
        finally:
            self.ctx.metrics.analysis_duration.observe(time.perf_counter() - started)

    async def evaluate_once(
        self, body: kopf.Body, namespace: str, name: str, spec: ModelMonitorSpec, now: float
    ) -> AnalysisResult | NoData:
        key = (namespace, name)
        if key not in self._loaded:
            self._loaded[key] = await self.state.load(namespace, name)
        state = self._loaded[key]
        reference = await self.profile(namespace, spec)
        source = self.source(namespace, name, spec, reference)
        collected = (
            source if isinstance(source, NoData) else await source.collect(required_windows(spec, self.policy), now)
        )
        pods = collected.pods if isinstance(collected, Collection) else collected.unreachable
        for pod in pods:
            self.ctx.metrics.analysis_sidecars.labels("answered" if pod.answered else "unreachable").inc()
        if isinstance(collected, NoData):
            # Summaries of an older evaluation would read as current: only the time and "0 pods" are kept.
            summary = {"pods": 0, "lastAnalysisTime": _rfc3339(now), "worstBurnRate": None}
            await self.write(body, namespace, name, no_data_observations(spec, collected), summary, None)
            return collected
        result = evaluate(
            spec,
            collected.counts,
            now=now,
            history_s=collected.history_s,
            reference=reference,
            memory=state.memory,
            policy=self.policy,
            min_events=self.min_events,
            min_coverage=self.min_coverage,
        )
        observations = report.observations(result)
        summary = report.status_summary(result, pods=len(collected.answered), analysed_at=_rfc3339(now))
        await self.write(body, namespace, name, observations, summary, report.phase(result).value)
        if collected.unreachable:
            missing = ", ".join(f"{p.pod} ({p.error})" for p in collected.unreachable[:5])
            kopf.event(body, type="Warning", reason="SidecarUnreachable", message=f"no snapshot from {missing}")
        self.set_metrics(namespace, name, result)
        alerts = await self.notify(namespace, name, spec, result, state, now)
        retraining = await self.retrain(body, namespace, name, spec, result, state.retraining, now)
        new_state = LoopState(result.memory, alerts, retraining)
        self._loaded[key] = new_state
        uid = str(dig(body, "metadata").get("uid") or "")
        await self.state.save(namespace, name, uid, new_state)
        return result

    async def write(
        self,
        body: kopf.Body,
        namespace: str,
        name: str,
        observations: Sequence[Observation],
        summary: Mapping[str, Any],
        phase: str | None,
        attempts: int = 5,
    ) -> None:
        """Conditions, summaries and phase in one guarded JSON patch; Events for changed reasons."""
        path = monitor_path(namespace, name)
        for attempt in range(attempts):
            obj = await self.ctx.api.get(path)
            if obj is None:
                return
            status = mapping(obj.get("status"))
            generation = int(dig(obj, "metadata").get("generation") or 0)
            changes = status_patch(status, observations, generation=generation, now=self.ctx.now(), acted=False)
            for key, value in summary.items():
                if status.get(key) != value:
                    changes[key] = value
            current_phase = status.get("phase")
            if (
                phase is not None
                and _is_ready(obj)
                and (current_phase in report.ANALYSIS_PHASES or current_phase in (None, "Pending"))
            ):
                if current_phase != phase:
                    changes["phase"] = phase
                else:
                    changes.pop("phase", None)
            if not changes:
                return
            try:
                await self.ctx.api.patch(f"{path}/status", status_json_patch(obj, changes))
            except KubeError as error:
                if error.status in CONFLICT and attempt < attempts - 1:
                    continue
                raise
            for observation in changed_reasons(status, observations):
                kopf.event(
                    body,
                    type=report.event_type(observation),
                    reason=observation.reason,
                    message=observation.message or observation.reason,
                )
            return

    def set_metrics(self, namespace: str, name: str, result: AnalysisResult) -> None:
        samples = report.metric_samples(result)
        metrics = self.ctx.metrics
        wanted: dict[tuple[str, tuple[str, ...]], float] = {}
        for (slo, window), value in samples.burn_rates.items():
            if value is not None:
                wanted["burn", (namespace, name, slo, window)] = value
        for slo, value in samples.budget_remaining.items():
            if value is not None:
                wanted["budget", (namespace, name, slo)] = value
        for (feature, method), value in samples.drift_scores.items():
            if value is not None:
                wanted["drift", (namespace, name, feature, method)] = value
        gauges = {
            "burn": metrics.slo_burn_rate,
            "budget": metrics.error_budget_remaining,
            "drift": metrics.feature_drift_score,
        }
        previous = self._series.get((namespace, name), set())
        for kind, labels in previous - set(wanted):
            with contextlib.suppress(KeyError):  # no data is an absent series, never a stale value or 0
                gauges[kind].remove(*labels)
        for (kind, labels), value in wanted.items():
            gauges[kind].labels(*labels).set(value)
        self._series[namespace, name] = set(wanted)

    def forget(self, namespace: str, name: str) -> None:
        """Drop everything kept for a deleted monitor (its series, caches and last-run time)."""
        self.set_metrics_absent(namespace, name)
        self._loaded.pop((namespace, name), None)
        self._last_run.pop((namespace, name), None)
        self.state.forget(namespace, name)

    def set_metrics_absent(self, namespace: str, name: str) -> None:
        gauges = {
            "burn": self.ctx.metrics.slo_burn_rate,
            "budget": self.ctx.metrics.error_budget_remaining,
            "drift": self.ctx.metrics.feature_drift_score,
        }
        for kind, labels in self._series.pop((namespace, name), set()):
            with contextlib.suppress(KeyError):
                gauges[kind].remove(*labels)

    async def retrain(
        self,
        body: kopf.Body,
        namespace: str,
        name: str,
        spec: ModelMonitorSpec,
        result: AnalysisResult,
        state: RetrainingState,
        now: float,
    ) -> RetrainingState:
        """Create a retraining Job when a breach lasted ``retraining.after`` (once per cooldown, maybe approved)."""
        if spec.retraining is None or not spec.retraining.job_template:
            return state
        approval = dig(body, "metadata", "annotations").get(APPROVAL_ANNOTATION)
        decision = decide(
            spec.retraining, state, breach_reason(result), now, approval if isinstance(approval, str) else None
        )
        previous = self._retraining_action.get((namespace, name))
        self._retraining_action[namespace, name] = decision.action
        if decision.action == "awaiting-approval" and previous != decision.action:
            kopf.event(body, type="Normal", reason="RetrainingAwaitingApproval", message=decision.reason)
        if decision.action != "create":
            return decision.state
        uid = str(dig(body, "metadata").get("uid") or "")
        manifest = job_manifest(
            spec.retraining, monitor=name, namespace=namespace, uid=uid, now=now, reason=decision.reason
        )
        try:
            await self.ctx.api.create(f"/apis/batch/v1/namespaces/{namespace}/jobs", manifest)
        except KubeError as error:
            kopf.event(body, type="Warning", reason="RetrainingFailed", message=f"Job not created: {error}")
            return state  # nothing recorded: the next evaluation tries again
        self.ctx.metrics.retraining_jobs.inc()
        message = f"Job {manifest['metadata']['name']} created (#{decision.state.jobs}): {decision.reason}"
        kopf.event(body, type="Normal", reason="RetrainingStarted", message=message)
        return decision.state

    async def notify(
        self, namespace: str, name: str, spec: ModelMonitorSpec, result: AnalysisResult, state: LoopState, now: float
    ) -> Any:
        """Send due notifications of burning SLOs; the returned alert state records only what was delivered."""
        alerting = spec.alerting
        if alerting.webhook is None and alerting.page_webhook is None:
            return state.alerts
        labels = {"namespace": namespace, "monitor": name, "model": spec.model.name or name}
        alerts = [alert for verdict in result.slos for alert in burn_alerts(verdict.slo, verdict.assessment, labels)]
        moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
        try:
            config = DispatchConfig.from_spec(alerting)
        except ValueError as error:
            log.warning("alerting of %s/%s unusable: %s", namespace, name, error)
            return state.alerts
        notifications, alert_state = dispatch(alerts, state.alerts, moment, config)
        notifier = WebhookNotifier(self.session, timeout_s=5.0, attempts=2, backoff_s=0.5)
        for notification in notifications:
            hook = webhook_for(notification.route, alerting)
            if hook is None:
                continue
            payload = (
                alertmanager_payload(notification)
                if hook.format is AlertFormat.ALERTMANAGER
                else json_payload(notification)
            )
            delivered = await notifier.send(hook.url, payload)
            if delivered.delivered:
                alert_state = record_sent(alert_state, notification, moment)
        return alert_state


def no_data_observations(spec: ModelMonitorSpec, no_data: NoData) -> list[Observation]:
    """Unknown, with the reason, for the conditions that need data; never a reassuring False."""
    found = [Observation(ConditionType.DRIFTING, ConditionStatus.UNKNOWN, "NoData", no_data.reason)]
    if spec.slos:
        found.insert(0, Observation(ConditionType.BUDGET_BURNING, ConditionStatus.UNKNOWN, "NoData", no_data.reason))
    return found


def register(
    registry: kopf.OperatorRegistry,
    ctx: OperatorContext,
    *,
    tick_s: float = DEFAULT_TICK_S,
    loop: AnalysisLoop | None = None,
) -> AnalysisLoop:
    """Register the analysis timer (and its cleanup); returns the loop (tests read its results)."""
    analysis = loop or AnalysisLoop(ctx)

    @kopf.timer(GROUP, VERSION, PLURAL, id="analysis", interval=tick_s, initial_delay=tick_s, registry=registry)
    async def analyse(body: kopf.Body, **_: Any) -> None:
        await analysis.tick(body)

    @kopf.on.delete(GROUP, VERSION, PLURAL, id="analysis-forget", registry=registry, optional=True)
    async def forget(name: str, namespace: str | None, **_: Any) -> None:
        analysis.forget(namespace or "default", name)

    @kopf.on.cleanup(registry=registry)
    async def close(**_: Any) -> None:
        await analysis.close()

    return analysis
