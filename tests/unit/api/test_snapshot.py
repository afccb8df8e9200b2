"""The snapshot wire format and its merge rules.

We test these aspects:
- check_snapshot rejects non-objects, other kinds, unknown versions (naming both), bad bucketSeconds,
  buckets and totals of the wrong shape;
- merge_counts sums numbers and lists, matches categories and confusion classes by name, keeps
  identity fields, and refuses differently binned inputs naming the field;
- merge_snapshots sums buckets by start, drops labels that differ, keeps the latest takenAt,
  refuses different bucket widths and an empty input;
- window_counts sums the buckets overlapping the window.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.api.snapshot import (
    SNAPSHOT_KIND,
    SnapshotError,
    check_snapshot,
    merge_counts,
    merge_snapshots,
    window_counts,
)


def snapshot(
    buckets: list[tuple[float, dict[str, Any]]], total: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "kind": SNAPSHOT_KIND,
        "version": 1,
        "labels": extra.pop("labels", {"model": "m", "version": "v1", "cohort": "stable"}),
        "bucketSeconds": extra.pop("bucketSeconds", 60.0),
        "takenAt": extra.pop("takenAt", 0.0),
        "buckets": [{"start": start, "counts": counts} for start, counts in buckets],
        "total": total if total is not None else {},
        **extra,
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must be a JSON object"),
        ({"kind": "Other", "version": 1}, "not a snapshot"),
        ({"kind": SNAPSHOT_KIND, "version": 2}, "snapshot version 2 is not supported (this build reads version 1)"),
        ({"kind": SNAPSHOT_KIND}, "snapshot version None is not supported"),
        ({**snapshot([]), "bucketSeconds": 0}, "bucketSeconds must be a positive number"),
        ({**snapshot([]), "bucketSeconds": True}, "bucketSeconds must be a positive number"),
        ({**snapshot([]), "buckets": {}}, "buckets must be a list"),
        ({**snapshot([]), "buckets": [{"counts": {}}]}, "buckets[0] needs a numeric 'start'"),
        ({**snapshot([]), "buckets": [{"start": 0, "counts": []}]}, "buckets[0] needs a 'counts' object"),
        ({**snapshot([]), "total": None}, "total must be an object"),
        ({**snapshot([]), "labels": []}, "labels must be an object"),
    ],
)
def test_check_snapshot_rejects(document: object, message: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        check_snapshot(document)
    assert message in str(raised.value)


def test_merge_counts_sums_and_matches_by_name() -> None:
    left = {
        "rows": 2,
        "latency": {"bounds": [0.1], "counts": [1, 1], "sum": 0.5},
        "c": {"type": "categorical", "categories": ["a", "b"], "counts": [1, 2, 3], "nulls": 1},
        "confusion": {"classes": ["0", "1"], "counts": [[1, 2], [3, 4]]},
        "only_left": {"x": 1},
    }
    right = {
        "rows": 3,
        "latency": {"bounds": [0.1], "counts": [0, 2], "sum": 1.0},
        "c": {"type": "categorical", "categories": ["b", "c"], "counts": [10, 20, 30], "nulls": 0},
        "confusion": {"classes": ["1", "2"], "counts": [[5, 6], [7, 8]]},
    }
    merged = merge_counts(left, right)
    assert merged["rows"] == 5
    assert merged["latency"] == {"bounds": [0.1], "counts": [1, 3], "sum": 1.5}
    assert merged["c"] == {"categories": ["a", "b", "c"], "counts": [1, 12, 20, 33], "type": "categorical", "nulls": 1}
    assert merged["confusion"] == {"classes": ["0", "1", "2"], "counts": [[1, 2, 0], [3, 9, 6], [0, 7, 8]]}
    assert merged["only_left"] == {"x": 1}
    assert left["rows"] == 2  # inputs untouched
    assert list(merged) == ["rows", "latency", "c", "confusion", "only_left"]


@pytest.mark.parametrize(
    ("left", "right", "message"),
    [
        (
            {"h": {"edges": [0, 1], "counts": [0, 0, 0]}},
            {"h": {"edges": [0, 2], "counts": [0, 0, 0]}},
            "counts.h.edges differs",
        ),
        ({"h": {"type": "numeric"}}, {"h": {"type": "categorical"}}, "counts.h.type differs"),
        ({"h": {"counts": [1, 2]}}, {"h": {"counts": [1]}}, "counts.h.counts has 2 entries in one snapshot and 1"),
        ({"h": 1}, {"h": "x"}, "cannot add int and str"),
        ({"c": {"categories": ["a"], "counts": [1]}}, {}, "1 categories need 2 counts"),
        ({"m": {"classes": ["a"], "counts": [[1, 2]]}}, {}, "confusion counts must be 1x1"),
    ],
)
def test_merge_counts_refuses_different_binnings(left: dict[str, Any], right: dict[str, Any], message: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        merge_counts(left, right)
    assert message in str(raised.value)


def test_merge_snapshots_by_bucket_start() -> None:
    a = snapshot([(0.0, {"rows": 1}), (60.0, {"rows": 2})], {"rows": 3}, takenAt=100.0)
    b = snapshot(
        [(60.0, {"rows": 5}), (120.0, {"rows": 7})],
        {"rows": 12},
        takenAt=130.0,
        labels={"model": "m", "version": "v2", "cohort": "stable"},
        samples=[{"requestId": "x"}],
    )
    merged = merge_snapshots([a, b])
    assert [(bucket["start"], bucket["counts"]["rows"]) for bucket in merged["buckets"]] == [
        (0.0, 1),
        (60.0, 7),
        (120.0, 7),
    ]
    assert merged["total"] == {"rows": 15}
    assert merged["labels"] == {"model": "m", "cohort": "stable"}
    assert merged["takenAt"] == 130.0
    assert merged["samples"] == [{"requestId": "x"}]
    assert check_snapshot(merged) is merged
    assert merge_snapshots([a])["buckets"] == a["buckets"]


def test_merge_snapshots_refuses_mismatches() -> None:
    with pytest.raises(SnapshotError, match="nothing to merge"):
        merge_snapshots([])
    with pytest.raises(SnapshotError, match="bucketSeconds differs"):
        merge_snapshots([snapshot([]), snapshot([], bucketSeconds=30.0)])
    with pytest.raises(SnapshotError, match="version 9"):
        merge_snapshots([snapshot([]), {**snapshot([]), "version": 9}])


def test_window_counts() -> None:
    doc = snapshot([(0.0, {"rows": 1}), (60.0, {"rows": 2}), (120.0, {"rows": 4})])
    assert window_counts(doc, 60.0, 150.0) == {"rows": 6}  # [90, 150] overlaps the buckets at 60 and 120
    assert window_counts(doc, 1000.0, 150.0) == {"rows": 7}
    assert window_counts(doc, 10.0, 500.0) == {}
