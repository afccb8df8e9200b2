"""The analysis loop's memory across operator restarts, kept in one ConfigMap per monitor.

``<monitor>-modelmonitor-analysis`` holds, under ``state.json``: the drift streaks and drift-SLI
events (``analysis.evaluate.AnalysisMemory``) and the alert dispatcher's state
(``alerts.dispatch.AlertState``: what was notified, when, and each alert's start) and the retraining
trigger's (``analysis.retraining.RetrainingState``: breach start, last Job, Jobs created). It is owned by
the ModelMonitor (garbage-collected with it) and written only when its content changes, which the
capped hysteresis runs make rare in steady state. Burn-rate windows are not kept here: they are
rebuilt from the sidecars' rings (or Prometheus) at every evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.alerts.dispatch import AlertState
from modelmonitor.analysis.evaluate import AnalysisMemory
from modelmonitor.analysis.retraining import RetrainingState
from modelmonitor.kube.client import KubeApi, KubeError
from modelmonitor.wiring.shapes import mapping

KEY = "state.json"


def state_name(monitor: str) -> str:
    return f"{monitor}-modelmonitor-analysis"[:253]


@dataclass(frozen=True)
class LoopState:
    memory: AnalysisMemory
    alerts: AlertState
    retraining: RetrainingState = field(default_factory=RetrainingState)

    def to_text(self) -> str:
        document = {
            "memory": self.memory.to_json(),
            "alerts": self.alerts.to_json(),
            "retraining": self.retraining.to_json(),
        }
        return json.dumps(document, sort_keys=True)

    @classmethod
    def from_text(cls, text: object) -> LoopState:
        """Unreadable state is a fresh start (streaks and alert logs lost, never invented)."""
        try:
            data = json.loads(text) if isinstance(text, str) else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        try:
            alerts = AlertState.from_json(mapping(data.get("alerts"))) if data.get("alerts") else AlertState()
        except (ValueError, KeyError, TypeError):
            alerts = AlertState()
        return cls(
            AnalysisMemory.from_json(data.get("memory")), alerts, RetrainingState.from_json(data.get("retraining"))
        )


class StateStore:
    """Reads a monitor's state once per operator process, then writes it back when it changes."""

    def __init__(self, api: KubeApi) -> None:
        self.api = api
        self._written: dict[tuple[str, str], str] = {}

    def _path(self, namespace: str, name: str | None = None) -> str:
        base = f"/api/v1/namespaces/{namespace}/configmaps"
        return base if name is None else f"{base}/{name}"

    async def load(self, namespace: str, monitor: str) -> LoopState:
        found = await self.api.get(self._path(namespace, state_name(monitor)))
        text = mapping(mapping(found).get("data")).get(KEY) if found is not None else None
        if isinstance(text, str):
            self._written[namespace, monitor] = text
        return LoopState.from_text(text)

    async def save(self, namespace: str, monitor: str, uid: str, state: LoopState) -> bool:
        """Write the state if it changed; ``True`` when a write was made."""
        text = state.to_text()
        key = (namespace, monitor)
        if self._written.get(key) == text:
            return False
        name = state_name(monitor)
        if key in self._written:
            result = await self.api.patch(self._path(namespace, name), {"data": {KEY: text}})
            if result is not None:
                self._written[key] = text
                return True
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "model-monitor"},
                "ownerReferences": [
                    {
                        "apiVersion": "modelmonitor.io/v1alpha1",
                        "kind": "ModelMonitor",
                        "name": monitor,
                        "uid": uid,
                        "controller": True,
                    }
                ],
            },
            "data": {KEY: text},
        }
        try:
            await self.api.create(self._path(namespace), body)
        except KubeError as error:
            if error.status != 409:
                raise
            await self.api.patch(self._path(namespace, name), {"data": {KEY: text}})
        self._written[key] = text
        return True

    def forget(self, namespace: str, monitor: str) -> None:
        self._written.pop((namespace, monitor), None)
