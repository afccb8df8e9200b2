"""The embedded default source: ask every ready pod's sidecar for its snapshot and merge them.

Discovery reads the target Deployment's selector and lists its pods; a pod counts when it is
Ready, has an IP and is not being deleted. Snapshots are fetched concurrently (a bounded number at
a time) with a per-pod timeout; a pod that does not answer, answers an error, or sends a snapshot
this build cannot read is reported and left out, never fatal. The rest are merged by a sum
(``api.snapshot.merge_snapshots``), never an average, and cut into windows.

History. A sidecar's ring covers ``max(drift.window, 1h)`` (at most a day) and only since the
sidecar started; the collection's ``history_s`` is the age of the oldest answering sidecar (its
container's ``startedAt``, else the pod's ``startTime``, else its oldest bucket), capped at the ring.
So after an operator restart the windows are rebuilt at once from the sidecars' rings, and after a
full rollout of new pods the long windows are "no data" until they fill.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from modelmonitor.analysis.evaluate import counts_by_window
from modelmonitor.api.durations import parse_duration
from modelmonitor.api.snapshot import Snapshot, SnapshotError, check_snapshot
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.kube.client import KubeApi
from modelmonitor.sources.base import Collection, NoData, PodOutcome
from modelmonitor.wiring import keys
from modelmonitor.wiring.shapes import dig, items, mapping

RING_MIN_S = 3600.0
RING_MAX_S = 86400.0
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_CONCURRENCY = 64


@dataclass(frozen=True, slots=True)
class SidecarPod:
    """A ready pod of the target and where its sidecar listens."""

    name: str
    ip: str
    started_at: float | None


def _epoch(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def ring_seconds(spec: ModelMonitorSpec) -> float:
    """How far back a sidecar's ring reaches for this spec (the recorder's retention rule)."""
    return min(max(parse_duration(spec.drift.window), RING_MIN_S), RING_MAX_S)


def ready_sidecar_pods(pods: Sequence[Mapping[str, Any]]) -> list[SidecarPod]:
    """The pods that are Ready, have an IP and are not terminating, with their sidecar's start time."""
    ready = []
    for pod in pods:
        meta, status = dig(pod, "metadata"), dig(pod, "status")
        if meta.get("deletionTimestamp") or not status.get("podIP"):
            continue
        conditions = items(status.get("conditions"))
        if not any(mapping(c).get("type") == "Ready" and mapping(c).get("status") == "True" for c in conditions):
            continue
        started = None
        for container in items(status.get("containerStatuses")):
            if mapping(container).get("name") == keys.SIDECAR_CONTAINER:
                started = _epoch(dig(container, "state", "running").get("startedAt"))
        if started is None:
            started = _epoch(status.get("startTime"))
        ready.append(SidecarPod(str(meta.get("name") or "?"), str(status["podIP"]), started))
    return ready


def selector_string(match_labels: Mapping[str, Any]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))


async def target_pods(api: KubeApi, namespace: str, deployment: str) -> list[SidecarPod] | NoData:
    """The target Deployment's ready pods, or :class:`NoData` naming what is missing."""
    obj = await api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}")
    if obj is None:
        return NoData(f"Deployment {namespace}/{deployment} not found")
    match_labels = dig(obj, "spec", "selector", "matchLabels")
    if not match_labels:
        return NoData(f"Deployment {namespace}/{deployment} has no matchLabels selector")
    pods = await api.list(f"/api/v1/namespaces/{namespace}/pods", label_selector=selector_string(match_labels))
    # Filter again: not every API server (or emulator) applies the selector.
    pods = [p for p in pods if all(dig(p, "metadata", "labels").get(k) == v for k, v in match_labels.items())]
    ready = ready_sidecar_pods(pods)
    if not ready:
        return NoData(f"no ready pod of Deployment {namespace}/{deployment}")
    return ready


class SidecarSource:
    """Collects from the sidecars of one monitor's target pods (see the module docstring)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api: KubeApi,
        *,
        namespace: str,
        spec: ModelMonitorSpec,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        concurrency: asyncio.Semaphore | None = None,
    ) -> None:
        self.session = session
        self.api = api
        self.namespace = namespace
        self.spec = spec
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.concurrency = concurrency or asyncio.Semaphore(DEFAULT_CONCURRENCY)

    def url(self, pod: SidecarPod) -> str:
        host = f"[{pod.ip}]" if ":" in pod.ip else pod.ip
        return f"http://{host}:{self.spec.sidecar.port}{self.spec.sidecar.path_prefix}/v1/snapshot"

    async def fetch(self, pod: SidecarPod) -> Snapshot | str:
        """The pod's snapshot, or why it could not be read."""
        async with self.concurrency:
            try:
                async with self.session.get(self.url(pod), timeout=self.timeout) as response:
                    if response.status != 200:
                        return f"HTTP {response.status}"
                    # orjson: snapshots are large (about 1 MiB for 20 features over an hour), json is 3x slower.
                    return check_snapshot(orjson.loads(await response.read()))
            except TimeoutError:
                return f"no answer within {self.timeout.total:g}s"
            except aiohttp.ClientError as error:
                return f"{type(error).__name__}: {error}"
            except (SnapshotError, ValueError, orjson.JSONDecodeError) as error:
                return f"unreadable snapshot: {error}"

    async def collect(self, windows: Sequence[float], now: float) -> Collection | NoData:
        pods = await target_pods(self.api, self.namespace, self.spec.target.deployment)
        if isinstance(pods, NoData):
            return pods
        fetched = await asyncio.gather(*(self.fetch(pod) for pod in pods))
        return merge_collection(pods, fetched, windows, now, ring_seconds(self.spec), port=self.spec.sidecar.port)


def merge_collection(
    pods: Sequence[SidecarPod],
    fetched: Sequence[Snapshot | str],
    windows: Sequence[float],
    now: float,
    ring_s: float,
    *,
    port: int,
) -> Collection | NoData:
    """Merge the snapshots that arrived; pods that failed are reported in the outcomes."""
    outcomes = []
    snapshots: list[Snapshot] = []
    starts: list[float] = []
    for pod, answer in zip(pods, fetched, strict=True):
        address = f"{pod.ip}:{port}"
        if isinstance(answer, str):
            outcomes.append(PodOutcome(pod.name, address, answer))
            continue
        outcomes.append(PodOutcome(pod.name, address))
        snapshots.append(answer)
        buckets = answer.get("buckets") or []
        oldest_bucket = min((float(b["start"]) for b in buckets), default=now)
        starts.append(pod.started_at if pod.started_at is not None else oldest_bucket)
    if not snapshots:
        return NoData(f"none of {len(pods)} sidecars answered", tuple(outcomes))
    try:
        # Summing the pods' buckets window by window is merge_snapshots + windowing, in one pass.
        counts = counts_by_window(snapshots, windows, now)
    except SnapshotError as error:
        return NoData(f"sidecar snapshots cannot be merged: {error}", tuple(outcomes))
    history = min(max(0.0, now - min(starts)), ring_s)
    return Collection(
        counts={w: counts[w] if w <= ring_s else None for w in windows},
        history_s=history,
        pods=tuple(outcomes),
    )
