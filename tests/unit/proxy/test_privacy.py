"""Redaction and payload sampling.

We test these aspects:
- redaction removes named keys at any depth and OIP tensors named like them, leaving the input intact;
- an empty redactor returns the document itself;
- the sampler never samples at rate 0, always at rate 1, keeps a bounded ring, and rejects bad bounds.
"""

from __future__ import annotations

import random

import pytest

from modelmonitor_proxy.privacy import PayloadSampler, Redactor, Sample


def test_redaction_at_any_depth() -> None:
    document = {"user": {"email": "a@b", "profile": [{"ssn": 1, "age": 3}]}, "email": "x", "ok": True}
    redacted = Redactor(["email", "ssn"]).redact(document)
    assert redacted == {"user": {"profile": [{"age": 3}]}, "ok": True}
    assert document["email"] == "x"  # the input is not modified


def test_redaction_of_named_tensors() -> None:
    document = {
        "inputs": [{"name": "email", "data": ["a@b"]}, {"name": "age", "data": [3]}],
        "outputs": [{"name": "p"}],
    }
    assert Redactor(["email"]).redact(document) == {
        "inputs": [{"name": "age", "data": [3]}],
        "outputs": [{"name": "p"}],
    }


def test_empty_redactor_is_identity() -> None:
    document = {"a": 1}
    redactor = Redactor([])
    assert not redactor
    assert redactor.redact(document) is document
    assert not redactor.is_redacted("a")


def test_sampler_rates() -> None:
    assert not any(PayloadSampler(0.0).wants() for _ in range(100))
    assert all(PayloadSampler(1.0).wants() for _ in range(100))
    sampler = PayloadSampler(0.5, rng=random.Random(3))
    assert 30 < sum(sampler.wants() for _ in range(100)) < 70


def test_sampler_ring_is_bounded() -> None:
    sampler = PayloadSampler(1.0, capacity=3)
    for i in range(5):
        sampler.keep(Sample(f"r{i}", float(i), 200, {"i": i}, None))
    assert [s.request_id for s in sampler.samples()] == ["r2", "r3", "r4"]
    assert sampler.samples()[0].to_json() == {
        "requestId": "r2",
        "at": 2.0,
        "status": 200,
        "request": {"i": 2},
        "response": None,
    }


@pytest.mark.parametrize(("rate", "capacity", "message"), [(1.5, 10, "sample rate"), (0.1, 0, "capacity")])
def test_sampler_rejects_bad_bounds(rate: float, capacity: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PayloadSampler(rate, capacity=capacity)
