#!/usr/bin/env bash
# Build mmcv 2.0.1 with its compiled ops into a wheel cache, once per machine.
#
# Why by hand: no mmcv 2.0.x wheel exists for current PyTorch, and its sdist needs two fixes
#   * setup.py passes -std=c++14; PyTorch >= 2.1 headers need C++17;
#   * setup.py imports pkg_resources, gone from setuptools >= 81 (torch 2.13 needs >= 77),
#     so the build runs in a throw-away venv with setuptools<70 and torch installed --no-deps.
# Usage: build_mmcv_wheel.sh WHEEL_DIR [TORCH_SPEC]
set -euo pipefail
wheel_dir=$1
torch_spec=${2:-torch==2.13.0}
mmcv_version=2.0.1

if ls "$wheel_dir"/mmcv-"$mmcv_version"-*.whl >/dev/null 2>&1; then
  echo "mmcv $mmcv_version wheel cached in $wheel_dir"
  exit 0
fi
mkdir -p "$wheel_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
pip="$work/venv/bin/pip"
# shellcheck disable=SC2086  # the spec may carry pip options (an index URL)
"$pip" install -q --no-deps $torch_spec
"$pip" install -q "setuptools<70" wheel ninja numpy packaging filelock typing-extensions \
  sympy networkx jinja2 fsspec
curl -fsSL "$(curl -fsSL https://pypi.org/simple/mmcv/ | grep -o "https://[^\"#]*/mmcv-$mmcv_version.tar.gz" | head -1)" \
  -o "$work/mmcv.tar.gz"
tar -xzf "$work/mmcv.tar.gz" -C "$work"
src="$work/mmcv-$mmcv_version"
sed -i 's/-std=c++14/-std=c++17/g' "$src/setup.py"
echo "building mmcv $mmcv_version with ops (about 10 minutes on 2 cores)..."
(cd "$src" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$work/venv/bin/pip" wheel -q \
  --no-build-isolation --no-deps -w "$wheel_dir" .)
ls "$wheel_dir"/mmcv-"$mmcv_version"-*.whl
