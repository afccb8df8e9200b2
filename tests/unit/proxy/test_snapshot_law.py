"""The merge law: two sidecars' snapshots merged equal the snapshot of one sidecar that saw both streams.

We test these aspects (property-based, hypothesis):
- for random streams of requests (numeric values, nulls, wrong types, categories from a profile and
  learned under the cap, missing and unexpected fields, status codes, latencies, times across
  several buckets, predictions) and labels posted for some of them, merge(A, B) == C exactly for
  counts and up to rounding for float sums;
- merging is commutative and associative, whatever the split of the stream among three sidecars.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmonitor.api.snapshot import merge_snapshots
from modelmonitor_proxy.recorder import Recorder
from tests.unit.proxy.builders import T0, categorical, config, exchange, numeric, profile

CONFIG = config(
    profile(numeric("amount", [0.0, 10.0, 100.0]), categorical("country", ["FR", "DE"])),
    features=[
        {"name": "amount", "expectations": {"min": 0}},
        {"name": "country", "type": "categorical"},
        {"name": "device", "type": "categorical"},
    ],
    privacy={"maxCategories": 50},
    fairness={"groupFeature": "country"},
)
NOW = T0 + 600

values = st.one_of(
    st.none(),
    st.floats(-50, 500, allow_nan=False).map(lambda v: round(v, 3)),
    st.integers(-5, 200),
    st.sampled_from(["FR", "DE", "US", "IT", "phone", "web", "tablet"]),
)
rows = st.dictionaries(st.sampled_from(["amount", "country", "device", "extra"]), values, max_size=4)
events = st.lists(
    st.tuples(
        st.lists(rows, min_size=1, max_size=3),
        st.sampled_from([200, 200, 200, 400, 503]),
        st.floats(0.0005, 3.0, allow_nan=False),
        st.integers(0, 299),  # seconds after T0: five buckets
        st.one_of(st.none(), st.integers(0, 1)),  # label for row 0, if any
    ),
    max_size=25,
)


def play(recorder: Recorder, stream: list[tuple[int, Any]]) -> None:
    for index, (batch, status, duration, offset, label) in stream:
        request_id = f"r{index}"
        scores = [round((index % 10) / 10 + 0.05, 2)] * len(batch)
        recorder.record(
            exchange(
                {"instances": batch},
                {"predictions": scores},
                request_id=request_id,
                status=status,
                duration=duration,
                at=T0 + offset,
            )
        )
        if label is not None:
            recorder.feedback(orjson.dumps({"requestId": request_id, "label": label}), T0 + offset + 1)


def canonical(value: Any) -> Any:
    """Order-free form: categories and confusion cells by name, floats rounded, zero cells dropped."""
    if isinstance(value, dict):
        if isinstance(value.get("categories"), list):
            rest = {k: canonical(v) for k, v in value.items() if k not in ("categories", "counts")}
            named = {n: c for n, c in zip(value["categories"], value["counts"], strict=False) if c}
            return {**rest, "byName": named, "other": value["counts"][-1]}
        if isinstance(value.get("classes"), list):
            cells = {
                (a, p): c
                for a, row in zip(value["classes"], value["counts"], strict=True)
                for p, c in zip(value["classes"], row, strict=True)
                if c
            }
            return {"cells": cells}
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else value
    return value


def comparable(snapshot: dict[str, Any]) -> Any:
    return canonical({k: v for k, v in snapshot.items() if k not in ("task",)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.lists(st.integers(0, 1), max_size=25))
def test_merge_of_two_sidecars_equals_one_sidecar(stream: list[Any], split: list[int]) -> None:
    indexed = list(enumerate(stream))
    sides = [split[i] if i < len(split) else 0 for i in range(len(stream))]
    a, b, both = Recorder(CONFIG), Recorder(CONFIG), Recorder(CONFIG)
    play(a, [e for e, side in zip(indexed, sides, strict=True) if side == 0])
    play(b, [e for e, side in zip(indexed, sides, strict=True) if side == 1])
    play(both, indexed)
    merged = merge_snapshots([a.snapshot(NOW), b.snapshot(NOW)])
    expected = both.snapshot(NOW)
    expected.pop("task")
    assert comparable(merged) == comparable(expected)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.lists(st.integers(0, 2), max_size=25))
def test_merge_is_commutative_and_associative(stream: list[Any], split: list[int]) -> None:
    indexed = list(enumerate(stream))
    sides = [split[i] if i < len(split) else 0 for i in range(len(stream))]
    recorders = [Recorder(CONFIG) for _ in range(3)]
    for side, recorder in enumerate(recorders):
        play(recorder, [e for e, s in zip(indexed, sides, strict=True) if s == side])
    x, y, z = (recorder.snapshot(NOW) for recorder in recorders)
    left = merge_snapshots([merge_snapshots([x, y]), z])
    right = merge_snapshots([x, merge_snapshots([y, z])])
    swapped = merge_snapshots([z, y, x])
    assert comparable(left) == comparable(right) == comparable(swapped)
