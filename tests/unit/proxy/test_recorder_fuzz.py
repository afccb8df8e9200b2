"""Odd input never breaks the recorder.

We test these aspects (property-based, hypothesis):
- any JSON request and response (KServe-like, OIP-like or arbitrary), under every protocol and
  task, is recorded without an exception, and the snapshot and the metrics still render;
- any feedback body gets a status and a JSON-able body, never an exception.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from modelmonitor.api.snapshot import check_snapshot
from modelmonitor_proxy.recorder import Recorder
from tests.unit.proxy.builders import T0, config, exchange, numeric, profile

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(-1e300, 1e300), st.text(max_size=5)
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "x", "data", "name"]), children, max_size=4),
    ),
    max_leaves=20,
)
tensors = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["a", "b", "x"]),
        "shape": st.lists(st.integers(0, 3), max_size=3),
        "datatype": st.just("FP32"),
        "data": json_values,
    }
)
requests = st.one_of(
    json_values,
    st.fixed_dictionaries({"instances": json_values}),
    st.fixed_dictionaries(
        {"inputs": st.lists(tensors, max_size=3)}, optional={"parameters": st.just({"content_type": "pd"})}
    ),
)
responses = st.one_of(
    json_values,
    st.fixed_dictionaries({"predictions": json_values}),
    st.fixed_dictionaries({"outputs": st.lists(tensors, max_size=2)}),
)
configs = [
    config(),
    config(profile(numeric("a", [0.0, 1.0]), numeric("b", [0.0])), prediction={"task": "regression"}),
    config(features=[{"name": "a"}, {"name": "b", "type": "categorical"}], prediction={"task": "multiclass"}),
    config(protocol="json", features=[{"name": "a", "path": "data.*.a"}], prediction={"path": "x"}),
    config(protocol="open-inference-v2", prediction={"output": "b"}, fairness={"groupFeature": "x"}),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(configs))), st.lists(st.tuples(requests, responses), min_size=1, max_size=4))
def test_any_json_is_recorded(index: int, pairs: list[tuple[Any, Any]]) -> None:
    recorder = Recorder(configs[index], clock=lambda: T0 + 30)
    for i, (request, response) in enumerate(pairs):
        recorder.record(exchange(request, response, request_id=f"r{i}", at=T0 + i))
        recorder.feedback(orjson.dumps({"requestId": f"r{i}", "label": 1}), T0 + i)
    check_snapshot(orjson.loads(orjson.dumps(recorder.snapshot(T0 + 30))))
    registry = CollectorRegistry()
    registry.register(recorder.collector())
    assert b"modelmonitor_requests_total" in generate_latest(registry)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=50), json_values.map(orjson.dumps)))
def test_any_feedback_body_gets_an_answer(body: bytes) -> None:
    recorder = Recorder(config())
    recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}))
    status, answer = recorder.feedback(body, T0 + 1)
    assert status in (200, 207, 400, 404, 409)
    orjson.dumps(answer)
