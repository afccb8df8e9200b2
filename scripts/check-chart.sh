#!/usr/bin/env bash
# Checks the Helm chart offline: lint, render, validate against Kubernetes schemas, and the examples against the CRD.
#
# For every charts/model-monitor/ci/*-values.yaml scenario:
#   helm lint --strict (at the oldest and newest supported Kubernetes versions), then
#   helm template --include-crds | kubernetes-validate --strict, for the oldest and newest versions.
# Then every examples/modelmonitor-*.yaml must validate against the chart's CRD schema.
# Needs: helm (scripts/install-helm.sh puts it in .tools/bin) and `pip install kubernetes-validate==1.37.0`.
# Exits non-zero on the first failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
chart=charts/model-monitor
oldest=1.27.0   # Chart.yaml kubeVersion; kubernetes-validate 1.37 knows 1.25-1.37
newest=1.37.0
python="${PYTHON:-python3}"

grep -q "^kubeVersion: \">=${oldest}-0\"" "$chart/Chart.yaml" || {
  echo "check-chart: $chart/Chart.yaml kubeVersion is not >=${oldest}-0; update 'oldest' here too" >&2; exit 1; }

helm="${HELM:-}"
if [ -z "$helm" ]; then
  scripts/install-helm.sh >/dev/null
  helm="$root/.tools/bin/helm"
fi
validate="$(command -v kubernetes-validate || true)"
[ -n "$validate" ] || { echo "check-chart: kubernetes-validate missing: pip install kubernetes-validate==1.37.0" >&2; exit 1; }

home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
export HELM_CACHE_HOME="$home/cache" HELM_CONFIG_HOME="$home/config" HELM_DATA_HOME="$home/data"

scenarios=("$chart"/ci/*-values.yaml)
[ -e "${scenarios[0]}" ] || { echo "check-chart: no $chart/ci/*-values.yaml" >&2; exit 1; }
for values in "${scenarios[@]}"; do
  name="$(basename "$values" -values.yaml)"
  for version in "$oldest" "$newest"; do
    "$helm" lint --strict --quiet --kube-version "$version" -f "$values" "$chart" >/dev/null \
      || { "$helm" lint --strict --kube-version "$version" -f "$values" "$chart" >&2; echo "check-chart: lint failed: $name, Kubernetes $version" >&2; exit 1; }
    rendered="$home/$name-$version.yaml"
    "$helm" template model-monitor "$chart" --namespace model-monitor --include-crds --kube-version "$version" \
      -f "$values" >"$rendered"
    if ! "$validate" --strict --quiet -k "$version" "$rendered" >"$home/validate.log" 2>&1; then
      cat "$home/validate.log" >&2
      echo "check-chart: schema validation failed: $name, Kubernetes $version" >&2
      exit 1
    fi
    echo "check-chart: $name OK on Kubernetes $version ($(grep -c '^kind:' "$rendered") objects)"
  done
done

# kubernetes-validate skips custom resources: check the examples with the CRD's own schema, translated to
# JSON Schema the way the API server reads it (tests/support/crd_schema.py, shared with the unit tests).
"$python" - "$chart/crds/modelmonitor.yaml" examples/modelmonitor-*.yaml <<'PY'
import sys
from pathlib import Path

import yaml

from tests.support.crd_schema import load_schema, schema_errors

crd_path, *examples = sys.argv[1:]
schema = load_schema(Path(crd_path))
problems = [
    f"{path}: {problem}"
    for path in examples
    for document in yaml.safe_load_all(Path(path).read_text(encoding="utf-8"))
    if document and document.get("kind") == "ModelMonitor"
    for problem in schema_errors(schema, document)
]
for problem in problems:
    print(f"check-chart: {problem}", file=sys.stderr)
print(f"check-chart: {len(examples)} example ModelMonitors {'FAILED' if problems else 'OK'} against the CRD schema")
sys.exit(1 if problems else 0)
PY
