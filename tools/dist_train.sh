#!/usr/bin/env bash
# Distributed training on one machine (or several, with NNODES / NODE_RANK / MASTER_ADDR):
#   tools/dist_train.sh CONFIG GPUS [tools/train.py arguments...]
# e.g. tools/dist_train.sh configs/yolov8_s_tbank_recipe.py 8 --amp
# One process per GPU through torchrun and MMEngine's `pytorch` launcher. Without a GPU, GPUS
# CPU processes train on the gloo backend (tools/train.py sets that up).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [tools/train.py arguments...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
