# The detection service (tools/serve.py) in a container, CPU by default, GPU by build args.
# Not built in this repository's CI (no Docker there): kept to the steps `make install` runs.
#
#   CPU:  docker build -t tbank-logo .
#   ONNX only (requirements/serve.txt, no torch or mmcv build): docker build --target serve .
#   GPU:  docker build -t tbank-logo:gpu \
#           --build-arg BASE=nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04 \
#           --build-arg TORCH_SPEC='torch==2.13.0 --index-url https://download.pytorch.org/whl/cu124' \
#           --build-arg FORCE_CUDA=1 .
#         (add --build-arg EXTRA_PIP=tensorrt to serve TensorRT .engine files)
#   run:  docker run --rm -p 8000:8000 tbank-logo      # the release in weights/ (copied in)
#         another model, mounted: docker run --rm -p 8000:8000 \
#           -v "$PWD/work_dirs/demo:/models:ro" tbank-logo --model /models/deploy/end2end.onnx
#         GPU: docker run --rm --gpus all ... tbank-logo:gpu --device cuda
# Arguments after the image name go to tools/serve.py (see `--help`); the release in weights/
# is part of the image (COPY . . below) and checked against its manifest when it loads. The retrain pool, when used, needs a writable volume (--retrain-dir /pool).
ARG BASE=python:3.11-slim

# --- serve: ONNX models only (the release in weights/), without torch, the OpenMMLab stack or
# a compiler: `docker build --target serve -t tbank-logo:serve .`
FROM python:3.11-slim AS serve
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements/serve.txt requirements/
RUN python3 -m pip install -q -r requirements/serve.txt
COPY . .
RUN python3 -m pip install -q --no-deps . && useradd --create-home --uid 1000 app
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["python3", "tools/serve.py", "--host", "0.0.0.0", "--port", "8000"]

# --- full (the default target): any model, .pth checkpoints and TensorRT engines included.
FROM ${BASE} AS full

ARG TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
# mmcv's CUDA ops are compiled without a GPU at build time: FORCE_CUDA=1 and the target
# architectures (compute capabilities) are needed for a GPU image.
ARG FORCE_CUDA=0
ARG TORCH_CUDA_ARCH_LIST="7.5;8.0;8.6;8.9;9.0"
ARG EXTRA_PIP=""
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FORCE_CUDA=${FORCE_CUDA} TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST} \
    VENV=/opt/venv WHEEL_CACHE=/opt/wheel-cache

# A compiler for mmcv's ops, curl for its source, libGL for opencv-python; the CUDA base
# images have no Python, the python:*-slim ones have it already.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential curl \
        ca-certificates libgl1 libglib2.0-0 \
        $(command -v python3 >/dev/null || echo python3 python3-venv python3-dev) \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Slow, rarely-changing layers first: torch, the mmcv build (10-20 min), the requirements.
COPY tools/setup/ tools/setup/
RUN python3 -m venv "$VENV" && "$VENV/bin/pip" install -q $TORCH_SPEC \
    && v=$("$VENV/bin/python" -c 'import torch; print(torch.__version__)') \
    && bash tools/setup/build_mmcv_wheel.sh "$WHEEL_CACHE/wheels/torch-$v" "$TORCH_SPEC"
COPY requirements/ requirements/
RUN v=$("$VENV/bin/python" -c 'import torch; print(torch.__version__)') \
    && "$VENV/bin/pip" install -q --no-deps "$WHEEL_CACHE/wheels/torch-$v"/mmcv-2.0.1-*.whl \
    && "$VENV/bin/pip" install -q -r requirements/mmcv.txt -r requirements/runtime.txt $EXTRA_PIP

COPY . .
# The repository's own installer: everything above is already there, it adds the package
# (editable) and checks that the whole stack imports.
RUN TORCH_SPEC="$TORCH_SPEC" bash tools/setup/install.sh \
    && useradd --create-home --uid 1000 app
USER app

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s \
    CMD ["/opt/venv/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["/opt/venv/bin/python", "tools/serve.py", "--host", "0.0.0.0", "--port", "8000"]
