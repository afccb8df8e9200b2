"""The reference profile as a ConfigMap manifest.

We test these aspects:
- round trip: manifest -> profile is exact (floats included), from a file and from text;
- the manifest's shape: v1 ConfigMap, data key ``profile.yaml`` as a readable block, name, optional namespace,
  labels and annotations;
- a bare profile YAML is accepted too;
- errors: missing file, invalid YAML, ConfigMap without the key, invalid profile (message names the field),
  bad names, profiles over the 1 MiB ConfigMap limit;
- default names derived from the data file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.profiling.configmap import (
    PROFILE_KEY,
    ProfileFileError,
    check_name,
    configmap_manifest,
    default_name,
    load_profile,
    parse_profile,
    render_configmap,
    render_profile,
)

PROFILE = ReferenceProfile(
    source="train.csv",
    rows=7,
    features=[
        NumericProfile(
            name="amount",
            edges=[0.1, 1 / 3, 2.5e-17 + 1.0],
            counts=[0, 3, 3, 0],
            sums=[0.0, 0.6000000000000001, 3.3, 0.0],
            nulls=1,
            mean=0.65,
            std=0.31622776601683794,
        ),
        CategoricalProfile(name="country", categories=["FR", "DE", "yes", "1"], counts=[3, 2, 1, 1, 0], nulls=0),
    ],
)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "reference.yaml"
    path.write_text(render_configmap(PROFILE, name="fraud-reference", namespace="ml"), encoding="utf-8")
    assert load_profile(path) == PROFILE


def test_manifest_shape() -> None:
    manifest = yaml.safe_load(render_configmap(PROFILE, name="fraud-reference", namespace="ml"))
    assert manifest["apiVersion"] == "v1"
    assert manifest["kind"] == "ConfigMap"
    assert manifest["metadata"]["name"] == "fraud-reference"
    assert manifest["metadata"]["namespace"] == "ml"
    assert manifest["metadata"]["annotations"] == {"modelmonitor.io/source": "train.csv", "modelmonitor.io/rows": "7"}
    assert list(manifest["data"]) == [PROFILE_KEY]
    inner = yaml.safe_load(manifest["data"][PROFILE_KEY])
    assert inner["features"][1]["categories"] == ["FR", "DE", "yes", "1"]  # stays strings, not booleans or ints


def test_profile_is_a_literal_block() -> None:
    text = render_configmap(PROFILE, name="x")
    assert f"{PROFILE_KEY}: |" in text


def test_namespace_is_optional() -> None:
    assert "namespace" not in configmap_manifest(PROFILE, name="x")["metadata"]


def test_bare_profile_is_accepted() -> None:
    assert parse_profile(render_profile(PROFILE)) == PROFILE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [", r"not valid YAML"),
        ("- 1\n- 2\n", r"expected a ConfigMap manifest or a profile mapping"),
        ("kind: ConfigMap\ndata: {other: x}\n", r"ConfigMap has no data key 'profile.yaml'"),
        ("kind: ConfigMap\ndata: {profile.yaml: 3}\n", r"data.profile.yaml must be a string"),
        (
            "rows: 3\nfeatures: [{type: numeric, name: a}]\n",
            r"valid reference profile: features\.0\.numeric\.edges",
        ),
        ("rows: 3\nfeatures: []\nversion: 9\n", r"profile version 9 is not supported"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ProfileFileError, match=message):
        parse_profile(text, source="ref.yaml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileFileError, match=r"absent.yaml: no such file"):
        load_profile(tmp_path / "absent.yaml")


@pytest.mark.parametrize("name", ["Upper", "-lead", "trail-", "has_underscore", "x" * 64, ""])
def test_bad_names(name: str) -> None:
    with pytest.raises(ProfileFileError, match=r"not a valid Kubernetes name"):
        check_name(name)
    with pytest.raises(ProfileFileError):
        configmap_manifest(PROFILE, name=name)


def test_bad_namespace() -> None:
    with pytest.raises(ProfileFileError, match=r"namespace 'ML'"):
        configmap_manifest(PROFILE, name="x", namespace="ML")


def test_over_the_configmap_limit() -> None:
    many = [f"{i:04d}-" + "x" * 600 for i in range(2_000)]
    big = ReferenceProfile(
        rows=2_000,
        features=[CategoricalProfile(name="id", categories=many, counts=[1] * 2_000 + [0])],
    )
    with pytest.raises(ProfileFileError, match=r"over the 1 MiB ConfigMap limit"):
        configmap_manifest(big, name="x")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("data/train_2024.csv", "train-2024-reference"),
        ("Reference.Parquet", "reference-reference"),
        ("__.csv", "model-reference"),
        ("a" * 80 + ".csv", "a" * 53 + "-reference"),
    ],
)
def test_default_name(source: str, expected: str) -> None:
    assert default_name(source) == expected
    assert check_name(default_name(source))
