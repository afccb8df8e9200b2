"""``modelmonitor profile`` and ``modelmonitor drift`` through ``modelmonitor.cli.main``.

We test these aspects:
- profile writes a ConfigMap manifest (to a file or stdout) with the requested name and namespace, the default
  name from the data file, ``--categorical``/``--exclude``/``--bins``/``--top-k`` honoured; Parquet input works;
- drift exit codes as ``diff``'s: 0 when nothing drifted, 1 when something did, 2 on any error (missing or
  unreadable files, invalid profile, missing feature, mixed types, bad options);
- ``--format json`` prints the report document, ``--format table`` the table;
- errors go to stderr prefixed with the command, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from modelmonitor.cli import main
from modelmonitor.profiling.configmap import load_profile

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "examples" / "data" / "reference.csv"
CURRENT = ROOT / "examples" / "data" / "current.csv"


@pytest.fixture(scope="module")
def profile_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("profile") / "reference.yaml"
    assert main(["profile", str(REFERENCE), "--out", str(path), "--name", "demo-ref", "--namespace", "ml"]) == 0
    return path


def test_profile_writes_a_configmap(profile_path: Path) -> None:
    manifest = yaml.safe_load(profile_path.read_text(encoding="utf-8"))
    assert manifest["kind"] == "ConfigMap"
    assert manifest["metadata"]["name"] == "demo-ref"
    assert manifest["metadata"]["namespace"] == "ml"
    profile = load_profile(profile_path)
    assert profile.rows == 5_000
    assert len(profile.features) == 25


def test_profile_to_stdout_with_default_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(REFERENCE), "--exclude", "cat_4", "--categorical", "num_19", "--top-k", "3"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert manifest["metadata"]["name"] == "reference-reference"
    assert "namespace" not in manifest["metadata"]
    features = yaml.safe_load(manifest["data"]["profile.yaml"])["features"]
    names = [feature["name"] for feature in features]
    assert "cat_4" not in names
    num_19 = next(feature for feature in features if feature["name"] == "num_19")
    assert num_19["type"] == "categorical"
    assert len(num_19["categories"]) == 3


def test_profile_bins(tmp_path: Path) -> None:
    out = tmp_path / "ref.yaml"
    assert main(["profile", str(REFERENCE), "--out", str(out), "--bins", "4"]) == 0
    profile = load_profile(out)
    edges = profile.feature("num_00").edges  # type: ignore[union-attr]
    assert 5 <= len(edges) <= 5 + 4  # 4 quantile bins plus the tail edges


def test_drift_exits_1_with_a_table(profile_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", str(profile_path), str(CURRENT)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["feature", "method", "score"]
    assert out.splitlines()[-1].startswith("5 of 25 features drifted")


def test_drift_exits_0_on_the_reference_itself(profile_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", str(profile_path), str(REFERENCE), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert not any(item["drifted"] for item in document["features"])


def test_drift_json(profile_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", str(profile_path), str(CURRENT), "--format", "json", "--method", "jensen-shannon"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert {item["method"] for item in document["features"]} == {"jensen-shannon"}
    drifted = sorted(item["name"] for item in document["features"] if item["drifted"])
    assert drifted == ["cat_2", "num_00", "num_05", "num_10", "num_15"]


def test_drift_reads_parquet(profile_path: Path, tmp_path: Path) -> None:
    current = tmp_path / "current.parquet"
    pq.write_table(pacsv.read_csv(CURRENT), current)
    assert main(["drift", str(profile_path), str(current)]) == 1


def test_profile_reads_parquet(tmp_path: Path) -> None:
    data = tmp_path / "train.parquet"
    pq.write_table(pa.table({"x": [float(i) for i in range(600)], "c": ["a", "b", "c"] * 200}), data)
    out = tmp_path / "ref.yaml"
    assert main(["profile", str(data), "--out", str(out)]) == 0
    profile = load_profile(out)
    assert [feature.type for feature in profile.features] == ["numeric", "categorical"]


def _bad_csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _corrupt_current(tmp_path: Path) -> Path:
    header, first, *rest = CURRENT.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "corrupt.csv"
    path.write_text("".join([header, "abc" + first[first.index(",") :], *rest]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["drift", "{missing}", "{current}"], "no such file"),
        (["drift", "{profile}", "{missing}"], "no such file"),
        (["drift", "{current}", "{current}"], "expected a ConfigMap manifest or a profile mapping"),
        (["drift", "{profile}", "{corrupt}"], "column 'num_00' should be numeric but row 1 holds 'abc'"),
        (["drift", "{profile}", "{partial}"], "missing column(s) 'num_01'"),
        (["drift", "{profile}", "{current}", "--method", "magic"], "unknown drift method 'magic'"),
        (["drift", "{profile}", "{current}", "--threshold", "-1"], "threshold must be"),
        (["drift", "{profile}", "{current}", "--min-samples", "-5"], "--min-samples must be at least 0"),
        (["profile", "{missing}"], "no such file"),
        (["profile", "{mixed}"], "mixes numbers"),
        (["profile", "{empty_column}"], "is empty"),
        (["profile", "{current}", "--name", "Bad_Name"], "not a valid Kubernetes name"),
        (["profile", "{current}", "--bins", "0"], "at least 1"),
        (["profile", "{current}", "--exclude", "nope"], "cannot exclude missing column(s) 'nope'"),
    ],
)
def test_errors_exit_2(
    argv: list[str], message: str, profile_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = {
        "missing": tmp_path / "absent.csv",
        "profile": profile_path,
        "current": CURRENT,
        "mixed": _bad_csv(tmp_path, "mixed", "num_00,x\n1,2\nabc,3\n"),
        "corrupt": _corrupt_current(tmp_path),
        "partial": _bad_csv(tmp_path, "partial", "num_00\n1\n"),
        "empty_column": _bad_csv(tmp_path, "empty", "a,b\n1,\n2,\n"),
    }
    assert main([arg.format(**paths) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"modelmonitor {argv[0]}: error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["drift", "only-one-argument"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["drift", "a", "b", "--format", "xml"])
    assert caught.value.code == 2
