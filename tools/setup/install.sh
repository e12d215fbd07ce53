#!/usr/bin/env bash
# One-command set-up: a virtualenv with PyTorch, mmcv (built with ops, cached), the OpenMMLab
# stack and this package (editable). Idempotent: a second run only checks what is there.
#
#   VENV=.venv                         where the virtualenv lives
#   TORCH_SPEC=torch==2.13.0           e.g. 'torch==2.4.1 --index-url <CUDA wheel index>' on a GPU box
#   WHEEL_CACHE=~/.cache/mmdet-ext     where the built mmcv wheel is kept between clones
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${VENV:-.venv}
torch_spec=${TORCH_SPEC:-torch==2.13.0}
cache=${WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmdet-ext}

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }
# shellcheck disable=SC2086  # TORCH_SPEC may carry pip options
pip install -q $torch_spec
torch_version=$("$venv/bin/python" -c 'import torch; print(torch.__version__)')
# The mmcv wheel is ABI-bound to the torch it was built against: one cache folder per torch.
wheel_dir="$cache/wheels/torch-$torch_version"
bash tools/setup/build_mmcv_wheel.sh "$wheel_dir" "$torch_spec"
pip install -q --no-deps "$wheel_dir"/mmcv-2.0.1-*.whl
pip install -q -r requirements/mmcv.txt -r requirements/runtime.txt -r requirements/tests.txt
pip install -q --no-deps -e .
"$venv/bin/python" - <<'PY'
import mmcv, mmdet, mmengine, mmyolo, mmdeploy, onnxruntime, torch
from mmcv.ops import nms  # proves the compiled ops import
import mmdet_ext.components  # proves the plugin registers on this stack
print(f'installed: torch {torch.__version__}, mmcv {mmcv.__version__} (ops), '
      f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmyolo {mmyolo.__version__}, '
      f'mmdeploy {mmdeploy.__version__}, onnxruntime {onnxruntime.__version__}')
PY
