"""The snapshot wire format: what ``GET <prefix>/v1/snapshot`` returns, and how snapshots merge.

A sidecar's snapshot holds only additive state: counts per fixed bin, sums, totals. It has one
entry per tumbling time bucket still in the sidecar's ring (``buckets``, aligned on multiples of
``bucketSeconds`` since the epoch so that every pod's buckets line up) and the cumulative
``total`` since the sidecar started. Merging pods is therefore a sum, with three rules:

- identity fields (``type``, ``edges``, ``bounds``) must agree, or the snapshots were binned
  differently and cannot be merged (:class:`SnapshotError` says which field);
- categorical counts (objects with ``categories``) are matched by category name, the union keeping
  first-seen order, the last count being "other";
- confusion counts (objects with ``classes``) are matched by class name in both dimensions.

So merging is associative and commutative, and merging the snapshots of two sidecars equals the
snapshot of one sidecar that saw both streams (exactly for counts; sums of floats up to rounding),
as long as learned categories stayed under the cardinality cap (past it, each pod's "other"
absorbed different values; totals still agree).

The format is versioned: :func:`check_snapshot` rejects any version it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SNAPSHOT_VERSION = 1
SNAPSHOT_KIND = "ModelMonitorSnapshot"

IDENTITY_KEYS = frozenset({"type", "edges", "bounds"})

Counts = dict[str, Any]
Snapshot = dict[str, Any]


class SnapshotError(ValueError):
    """A snapshot that is malformed, of an unknown version, or binned differently from another."""


def check_snapshot(snapshot: object) -> Snapshot:
    """Return ``snapshot`` if it is a snapshot this build understands; raise :class:`SnapshotError`.

    >>> check_snapshot({"kind": "ModelMonitorSnapshot", "version": 2})
    Traceback (most recent call last):
    ...
    modelmonitor.api.snapshot.SnapshotError: snapshot version 2 is not supported (this build reads version 1)
    """
    if not isinstance(snapshot, dict):
        raise SnapshotError(f"a snapshot must be a JSON object, got {type(snapshot).__name__}")
    if snapshot.get("kind") != SNAPSHOT_KIND:
        raise SnapshotError(f"not a snapshot: kind is {snapshot.get('kind')!r}, expected {SNAPSHOT_KIND!r}")
    version = snapshot.get("version")
    if version != SNAPSHOT_VERSION:
        raise SnapshotError(
            f"snapshot version {version} is not supported (this build reads version {SNAPSHOT_VERSION})"
        )
    bucket_seconds = snapshot.get("bucketSeconds")
    if not isinstance(bucket_seconds, int | float) or isinstance(bucket_seconds, bool) or bucket_seconds <= 0:
        raise SnapshotError(f"bucketSeconds must be a positive number, got {bucket_seconds!r}")
    buckets = snapshot.get("buckets")
    if not isinstance(buckets, list):
        raise SnapshotError("buckets must be a list")
    for index, bucket in enumerate(buckets):
        if not isinstance(bucket, dict) or not isinstance(bucket.get("start"), int | float):
            raise SnapshotError(f"buckets[{index}] needs a numeric 'start'")
        if not isinstance(bucket.get("counts"), dict):
            raise SnapshotError(f"buckets[{index}] needs a 'counts' object")
    if not isinstance(snapshot.get("total"), dict):
        raise SnapshotError("total must be an object")
    if not isinstance(snapshot.get("labels", {}), dict):
        raise SnapshotError("labels must be an object")
    return snapshot


def merge_counts(left: Mapping[str, Any], right: Mapping[str, Any], where: str = "counts") -> Counts:
    """The sum of two counts objects (neither is modified).

    >>> left = {"rows": 2, "h": {"edges": [0], "counts": [1, 1]}}
    >>> merge_counts(left, {"rows": 1, "h": {"edges": [0], "counts": [0, 3]}})
    {'rows': 3, 'h': {'edges': [0], 'counts': [1, 4]}}
    >>> merge_counts({"categories": ["a"], "counts": [1, 0]}, {"categories": ["b"], "counts": [2, 5]})
    {'categories': ['a', 'b'], 'counts': [1, 2, 5]}
    """
    if isinstance(left.get("categories"), list) or isinstance(right.get("categories"), list):
        return _merge_categorical(left, right, where)
    if isinstance(left.get("classes"), list) or isinstance(right.get("classes"), list):
        return _merge_confusion(left, right, where)
    merged: Counts = {}
    for key in left.keys() | right.keys():
        if key not in right or key not in left:
            # One side only: copied, and dicts checked by merging with nothing.
            only = left[key] if key in left else right[key]
            merged[key] = merge_counts(only, {}, f"{where}.{key}") if isinstance(only, dict) else _copy(only)
        else:
            merged[key] = _merge_value(left[key], right[key], key, f"{where}.{key}")
    return {key: merged[key] for key in sorted(merged, key=_order(left, right))}


def _order(left: Mapping[str, Any], right: Mapping[str, Any]) -> Any:
    position = {key: i for i, key in enumerate([*left, *(k for k in right if k not in left)])}
    return position.__getitem__


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _merge_value(left: Any, right: Any, key: str, where: str) -> Any:
    if key in IDENTITY_KEYS:
        if left != right:
            raise SnapshotError(f"{where} differs ({left!r} vs {right!r}): snapshots were binned differently")
        return _copy(left)
    if isinstance(left, dict) and isinstance(right, dict):
        return merge_counts(left, right, where)
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            raise SnapshotError(f"{where} has {len(left)} entries in one snapshot and {len(right)} in another")
        return [_merge_value(a, b, key, f"{where}[{i}]") for i, (a, b) in enumerate(zip(left, right, strict=True))]
    if _is_number(left) and _is_number(right):
        return left + right
    raise SnapshotError(f"{where}: cannot add {type(left).__name__} and {type(right).__name__}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _merge_categorical(left: Mapping[str, Any], right: Mapping[str, Any], where: str) -> Counts:
    rest = merge_counts(
        {k: v for k, v in left.items() if k not in ("categories", "counts")},
        {k: v for k, v in right.items() if k not in ("categories", "counts")},
        where,
    )
    by_name: dict[str, Any] = {}
    other: Any = 0
    for side in (left, right):
        categories = side.get("categories", [])
        counts = side.get("counts", [0] * (len(categories) + 1))
        if len(counts) != len(categories) + 1:
            raise SnapshotError(f"{where}: {len(categories)} categories need {len(categories) + 1} counts")
        for name, count in zip(categories, counts, strict=False):
            by_name[name] = by_name.get(name, 0) + count
        other += counts[-1]
    return {"categories": list(by_name), "counts": [*by_name.values(), other], **rest}


def _merge_confusion(left: Mapping[str, Any], right: Mapping[str, Any], where: str) -> Counts:
    cells: dict[tuple[str, str], Any] = {}
    classes: dict[str, None] = {}
    for side in (left, right):
        names = side.get("classes", [])
        matrix = side.get("counts", [])
        if len(matrix) != len(names) or any(len(row) != len(names) for row in matrix):
            raise SnapshotError(f"{where}: confusion counts must be {len(names)}x{len(names)}")
        classes.update(dict.fromkeys(names))
        for actual, row in zip(names, matrix, strict=True):
            for predicted, count in zip(names, row, strict=True):
                cells[actual, predicted] = cells.get((actual, predicted), 0) + count
    names = list(classes)
    return {"classes": names, "counts": [[cells.get((a, p), 0) for p in names] for a in names]}


def merge_snapshots(snapshots: Iterable[object]) -> Snapshot:
    """Merge the snapshots of several sidecars (or of one sidecar over time) into one.

    Buckets with the same ``start`` are summed; labels that differ between inputs are dropped (a
    merge of stable and canary pods has no single cohort); ``takenAt`` is the latest.
    """
    checked = [check_snapshot(snapshot) for snapshot in snapshots]
    if not checked:
        raise SnapshotError("nothing to merge: no snapshots")
    first = checked[0]
    bucket_seconds = first["bucketSeconds"]
    labels: dict[str, Any] = dict(first.get("labels", {}))
    buckets: dict[float, Counts] = {}
    total: Counts = {}
    samples: list[Any] = []
    for snapshot in checked:
        if snapshot["bucketSeconds"] != bucket_seconds:
            raise SnapshotError(
                f"bucketSeconds differs ({bucket_seconds} vs {snapshot['bucketSeconds']}): buckets do not line up"
            )
        theirs = snapshot.get("labels", {})
        labels = {key: value for key, value in labels.items() if theirs.get(key) == value}
        for bucket in snapshot["buckets"]:
            start = bucket["start"]
            buckets[start] = (
                merge_counts(buckets[start], bucket["counts"]) if start in buckets else _copy(bucket["counts"])
            )
        total = merge_counts(total, snapshot["total"])
        samples.extend(snapshot.get("samples", []))
    merged: Snapshot = {
        "kind": SNAPSHOT_KIND,
        "version": SNAPSHOT_VERSION,
        "labels": labels,
        "bucketSeconds": bucket_seconds,
        "takenAt": max(snapshot.get("takenAt", 0.0) for snapshot in checked),
        "buckets": [{"start": start, "counts": buckets[start]} for start in sorted(buckets)],
        "total": total,
    }
    if samples:
        merged["samples"] = samples
    return merged


def window_counts(snapshot: Mapping[str, Any], window_seconds: float, now: float) -> Counts:
    """The counts of the buckets that overlap the last ``window_seconds`` before ``now``.

    Buckets are whole, so the window is rounded out to bucket boundaries.
    """
    checked = check_snapshot(dict(snapshot))
    since = now - window_seconds
    width = checked["bucketSeconds"]
    merged: Counts = {}
    for bucket in checked["buckets"]:
        if bucket["start"] + width > since and bucket["start"] <= now:
            merged = merge_counts(merged, bucket["counts"])
    return merged
