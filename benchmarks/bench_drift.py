"""Batch drift benchmark: ``modelmonitor profile`` + ``drift`` against Evidently, alibi-detect and exact scipy tests.

The dataset is ``benchmarks/drift_data.py`` (seeded): 100,000 reference and 100,000 current rows,
20 numeric + 5 categorical features, five of them shifted (:data:`SHIFTED`). The frames are written
once to Parquet in a temporary directory; every tool then runs as its own subprocess on those files,
so each pays its own imports and file reading, and peak RSS is the child's own (``wait4``).

Targets, interleaved in a shuffled order every round:

- ``modelmonitor`` (in-process library calls: read + profile + ConfigMap, then load + read + drift);
- ``modelmonitor CLI``: the two commands a user runs, ``profile --out`` then ``drift --format json``;
- ``scipy exact``: KS two-sample per numeric feature and chi-square per categorical one, p < 0.05;
- ``alibi-detect``: ``KSDrift`` + ``ChiSquareDrift``, feature-wise p < 0.05 (its own venv);
- ``Evidently``: ``Report([DataDriftPreset()])`` with its defaults (its own venv).

A tool whose interpreter is missing is skipped with a printed note. Make the venvs outside the repo::

    python3 -m venv /work/bench-venvs/evidently
    /work/bench-venvs/evidently/bin/pip install 'evidently==0.7.*' 'pandas<3' pyarrow
    python3 -m venv /work/bench-venvs/alibi
    /work/bench-venvs/alibi/bin/pip install alibi-detect 'pandas<3' 'pyarrow<21'   # alibi pins numpy<2

Run from the repository root: ``python benchmarks/bench_drift.py [--rows 100000] [--repeats 3]``.
It prints a markdown table of medians and the speed-ups paired within each round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.drift_data import SHIFTED, Frame, make_frames, random_halves  # noqa: E402

# Each runner prints one JSON line: seconds spent importing, seconds computing (reading included), flagged features.
MODELMONITOR_RUNNER = """
import json, sys, time
t0 = time.perf_counter()
import pyarrow.parquet  # what pandas imports up front for the other tools; read_table imports it lazily
from modelmonitor.profiling.build import build_profile
from modelmonitor.profiling.configmap import load_profile, render_configmap
from modelmonitor.profiling.report import current_kinds, drift_report
from modelmonitor.profiling.tables import read_table
t1 = time.perf_counter()
reference, current, manifest = sys.argv[1:4]
profile = build_profile(read_table(reference))
with open(manifest, "w", encoding="utf-8") as handle:
    handle.write(render_configmap(profile, name="bench-reference"))
t2 = time.perf_counter()
profile = load_profile(manifest)
names = [feature.name for feature in profile.features]
table = read_table(current, kinds=current_kinds(profile), select=names, allow_empty_columns=True)
results = drift_report(profile, table)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "compute_s": t3 - t1, "profile_s": t2 - t1, "drift_s": t3 - t2,
                  "flagged": [r.feature for r in results if r.drifted]}))
"""

SCIPY_RUNNER = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import pyarrow.parquet as pq
from scipy.stats import chi2_contingency, ks_2samp
t1 = time.perf_counter()
reference, current = (pq.read_table(path) for path in sys.argv[1:3])
flagged = []
for name in reference.column_names:
    ref, cur = reference.column(name), current.column(name)
    if ref.type.id == cur.type.id and str(ref.type).startswith("double"):
        a, b = ref.to_numpy(), cur.to_numpy()
        p = ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)]).pvalue
    else:
        a = np.array(ref.fill_null("<null>").to_pylist(), dtype=object)
        b = np.array(cur.fill_null("<null>").to_pylist(), dtype=object)
        labels = sorted(set(a.tolist()) | set(b.tolist()))
        table = np.array([[np.sum(x == label) for label in labels] for x in (a, b)])
        p = chi2_contingency(table).pvalue
    if p < 0.05:
        flagged.append(name)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "compute_s": t2 - t1, "flagged": flagged}))
"""

ALIBI_RUNNER = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import pandas as pd
from alibi_detect.cd import ChiSquareDrift, KSDrift
t1 = time.perf_counter()
ref, cur = (pd.read_parquet(path) for path in sys.argv[1:3])
numeric = [c for c in ref.columns if ref[c].dtype.kind == "f"]
categorical = [c for c in ref.columns if c not in numeric]
p_values = {}
# KS cannot take NaN: one detector for the complete columns, one per column with nulls (nulls dropped).
complete = [c for c in numeric if not (ref[c].isna().any() or cur[c].isna().any())]
found = KSDrift(ref[complete].to_numpy(), p_val=0.05).predict(cur[complete].to_numpy(), drift_type="feature")
p_values.update(zip(complete, found["data"]["p_val"].tolist()))
for c in numeric:
    if c not in complete:
        a, b = ref[c].dropna().to_numpy()[:, None], cur[c].dropna().to_numpy()[:, None]
        p_values[c] = float(KSDrift(a, p_val=0.05).predict(b, drift_type="feature")["data"]["p_val"][0])
codes = {c: {} for c in categorical}
def encode(frame):
    out = np.empty((len(frame), len(categorical)), dtype=np.int64)
    for j, c in enumerate(categorical):
        mapping = codes[c]
        out[:, j] = [mapping.setdefault(v, len(mapping)) for v in frame[c].fillna("<null>")]
    return out
x_ref, x_cur = encode(ref), encode(cur)
found = ChiSquareDrift(x_ref, p_val=0.05).predict(x_cur, drift_type="feature")
p_values.update(zip(categorical, found["data"]["p_val"].tolist()))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "compute_s": t2 - t1,
                  "flagged": [c for c in ref.columns if p_values[c] < 0.05]}))
"""

EVIDENTLY_RUNNER = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
t1 = time.perf_counter()
ref, cur = (pd.read_parquet(path) for path in sys.argv[1:3])
result = Report([DataDriftPreset()]).run(cur, ref).dict()
t2 = time.perf_counter()
flagged = []
for metric in result["metrics"]:
    config = metric["config"]
    if not config["type"].endswith("ValueDrift"):
        continue
    # p-value tests drift below the threshold, distances at or above it (Evidently's rule).
    p_value = "p_value" in config["method"]
    drifted = metric["value"] < config["threshold"] if p_value else metric["value"] >= config["threshold"]
    if drifted:
        flagged.append(config["column"])
print(json.dumps({"import_s": t1 - t0, "compute_s": t2 - t1, "flagged": flagged}))
"""


@dataclass
class Target:
    """One tool: the commands that make up its job, and the samples measured so far."""

    name: str
    commands: list[list[str]]
    env: dict[str, str] = field(default_factory=dict)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    import_s: list[float] = field(default_factory=list)
    compute_s: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    report: dict[str, object]


def run_job(commands: Sequence[Sequence[str]], env: dict[str, str], cwd: Path) -> Run:
    """Run the commands one after the other; wall time summed, peak RSS the largest child's, last JSON kept."""
    wall = 0.0
    cpu = 0.0
    rss_mb = 0.0
    report: dict[str, object] = {}
    for command in commands:
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env={**os.environ, **env}, cwd=cwd)
            _, status, usage = os.wait4(process.pid, 0)
            wall += time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            rss_mb = max(rss_mb, usage.ru_maxrss / 1024)
            cpu += usage.ru_utime + usage.ru_stime
            stdout.seek(0)
            stderr.seek(0)
            out = stdout.read().decode()
            # `modelmonitor drift` exits 1 when it finds drift, which is the expected outcome here.
            if process.returncode not in (0, 1):
                raise RuntimeError(f"{command[:3]} failed ({process.returncode}): {stderr.read().decode()[-2000:]}")
        out = out.strip()
        if out:
            # A runner prints one JSON line after any library chatter; `drift --format json` prints one document.
            try:
                report = json.loads(out)
            except json.JSONDecodeError:
                report = json.loads(out.splitlines()[-1])
    return Run(wall, cpu, rss_mb, report)


def write_parquet(frame: Frame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({name: pa.array(values) for name, values in frame.items()}), path)


def flagged_of(report: dict[str, object]) -> list[str]:
    if "flagged" in report:
        return list(report["flagged"])  # type: ignore[call-overload]
    features = report.get("features", [])
    return [item["name"] for item in features if item["drifted"]]  # type: ignore[attr-defined]


def halves_check(frame: Frame) -> list[str]:
    """Features that the default methods flag between two random halves of one frame (should be none)."""
    sys.path[:0] = [str(ROOT / "operator"), str(ROOT / "sidecar")]
    from modelmonitor.profiling.build import build_profile
    from modelmonitor.profiling.report import drift_report
    from modelmonitor.profiling.tables import CategoricalColumn, NumericColumn, Table

    def table(part: Frame) -> Table:
        columns = tuple(
            NumericColumn(name, values) if values.dtype.kind == "f" else CategoricalColumn.from_values(name, values)  # type: ignore[arg-type]
            for name, values in part.items()
        )
        return Table("halves", len(next(iter(part.values()))), columns)

    first, second = random_halves(frame)
    return [result.feature for result in drift_report(build_profile(table(first)), table(second)) if result.drifted]


def main() -> None:
    parser = argparse.ArgumentParser(description="modelmonitor profile + drift vs Evidently and alibi-detect")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in each frame (100000)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for modelmonitor and scipy")
    parser.add_argument("--evidently-python", default="/work/bench-venvs/evidently/bin/python")
    parser.add_argument("--alibi-python", default="/work/bench-venvs/alibi/bin/python")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-drift-"))
    reference_frame, current_frame = make_frames(args.rows, args.rows, seed=args.seed)
    reference, current, manifest = work / "reference.parquet", work / "current.parquet", work / "reference.yaml"
    write_parquet(reference_frame, reference)
    write_parquet(current_frame, current)
    runners = {}
    for name, code in [
        ("mm", MODELMONITOR_RUNNER),
        ("scipy", SCIPY_RUNNER),
        ("alibi", ALIBI_RUNNER),
        ("evidently", EVIDENTLY_RUNNER),
    ]:
        runners[name] = work / f"run_{name}.py"
        runners[name].write_text(code, encoding="utf-8")
    data = [str(reference), str(current)]
    source_path = {"PYTHONPATH": f"{ROOT / 'operator'}:{ROOT / 'sidecar'}"}
    targets = [
        Target("modelmonitor", [[args.python, str(runners["mm"]), *data, str(manifest)]], source_path),
        Target(
            "modelmonitor CLI",
            [
                [args.python, "-m", "modelmonitor", "profile", data[0], "--out", str(manifest)],
                [args.python, "-m", "modelmonitor", "drift", str(manifest), data[1], "--format", "json"],
            ],
            source_path,
        ),
        Target("scipy exact (KS + chi2)", [[args.python, str(runners["scipy"]), *data]]),
    ]
    for label, python, runner in [
        ("alibi-detect (KSDrift + ChiSquareDrift)", args.alibi_python, runners["alibi"]),
        ("Evidently (DataDriftPreset)", args.evidently_python, runners["evidently"]),
    ]:
        if Path(python).exists():
            targets.append(Target(label, [[python, str(runner), *data]]))
        else:
            print(f"note: skipping {label}: no interpreter at {python} (see this script's docstring)")

    print(f"data: {args.rows} + {args.rows} rows x 25 features, shifted {', '.join(SHIFTED)}; files in {work}")
    order = random.Random(args.seed)
    for round_number in range(args.repeats):
        round_targets = targets[:]
        order.shuffle(round_targets)
        for target in round_targets:
            run = run_job(target.commands, target.env, work)
            target.wall.append(run.wall)
            target.cpu.append(run.cpu)
            target.rss_mb.append(run.rss_mb)
            if "import_s" in run.report:
                target.import_s.append(float(run.report["import_s"]))  # type: ignore[arg-type]
                target.compute_s.append(float(run.report["compute_s"]))  # type: ignore[arg-type]
            target.flagged = flagged_of(run.report)
            for phase in ("profile_s", "drift_s"):
                if phase in run.report:
                    target.phases.setdefault(phase, []).append(float(run.report[phase]))  # type: ignore[arg-type]
            print(f"  round {round_number + 1}: {target.name}: {run.wall:.2f} s", file=sys.stderr)

    base = targets[0]
    print()
    print(f"Median of {args.repeats} interleaved rounds; speed-ups are paired within each round.")
    print()
    print(
        "| tool | wall s | CPU s | import s | compute s | peak RSS MB | flagged (TP / FP) "
        "| modelmonitor faster (wall / CPU / compute) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for target in targets:
        truth = set(SHIFTED)
        found = set(target.flagged)
        wall_ratio = statistics.median(t / b for t, b in zip(target.wall, base.wall, strict=True))
        cpu_ratio = statistics.median(t / b for t, b in zip(target.cpu, base.cpu, strict=True))
        compute = "-"
        if target.compute_s:
            compute = f"{statistics.median(target.compute_s):.3f}"
        imported = f"{statistics.median(target.import_s):.2f}" if target.import_s else "-"
        if target.compute_s and target is not base:
            compute_ratio = statistics.median(t / b for t, b in zip(target.compute_s, base.compute_s, strict=True))
            speed = f"{wall_ratio:.1f}x / {cpu_ratio:.1f}x / {compute_ratio:.1f}x"
        elif target is base:
            speed = "1 (baseline)"
        else:
            speed = f"{wall_ratio:.2f}x / {cpu_ratio:.2f}x / -"
        print(
            f"| {target.name} | {statistics.median(target.wall):.2f} | {statistics.median(target.cpu):.2f} "
            f"| {imported} | {compute} | "
            f"{statistics.median(target.rss_mb):.0f} | {len(found & truth)} / {len(found - truth)} | {speed} |"
        )
    print()
    for target in targets:
        print(f"- {target.name} flagged: {', '.join(target.flagged) or 'nothing'}")
        if target.phases:
            split = ", ".join(f"{name[:-2]} {statistics.median(times):.3f} s" for name, times in target.phases.items())
            print(f"  - {target.name} compute split (median): {split}")
    halves = halves_check(reference_frame)
    print(f"- modelmonitor on two random halves of the reference frame flagged: {', '.join(halves) or 'nothing'}")


if __name__ == "__main__":
    main()
