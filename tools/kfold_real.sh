#!/usr/bin/env bash
# `make real-kfold`: a k-fold estimate of `make real`'s recipe on the real photos (after
# `make real`, whose data and model it reuses; another RECIPE needs only `make demo`). The
# merged real photos are cut into 5 folds by photo (`split_coco.py --folds 5`); fold 0 is
# `make real`'s own validation split, so its model is `make real`'s stage 2. For each other
# fold the same two stages are trained on the other four folds plus the same synthetic images
# (about 3600 training iterations at 640 px: 2.1 h a fold on the slower 2-core machine of
# 2026-11-29, 2.2 s an iteration on that kind on 2026-12-03; about 75 min with NHWC training on
# the faster one of 2026-12-01; `tools/benchmark_train_step.py CONFIG --layouts nhwc --rounds 1`
# times a step in under a minute, about as long as the training's iteration (2.14 s against
# 2.2 s on 2026-12-03): check that a fold fits in the session before starting it, since a work
# dir does not outlive its machine; re-running skips finished stages and resumes an interrupted
# one), and the model's predictions on its held-out fold are saved in benchmarks/ (one pass;
# tiled: 640 px tiles (the config's `inference_tile_size`, else its input size) + a full pass;
# and the service's path: the photos at their own size, data/real_full, tiled above twice the
# tile size after shrinking to four times it) with a summary of its training
# (tools/summarize_training.py: times, validation by epoch, hard negatives mined), so a fold is
# done once, whichever machine or session trains the next.
# With every fold done, each fold is scored at the F1-best threshold of the other folds'
# pooled predictions (`tools/cross_calibrate.py`) into benchmarks/real_model_kfold.json (one
# pass: the protocol's result), _tiled.json and _service.json, and all the folds' boxes scored
# by size and folder (work_dirs/real_kfold/pooled*.json); each is scored again with the reviewed
# ignore regions (projects/tbank_logo/real_photos_ignore_regions.json) into ..._reviewed.json.
# Usage: bash tools/kfold_real.sh [FOLD ...]   (default: every fold not done yet)
# RECIPE=NAME (e.g. tilecrop) estimates another recipe the same way, on the same folds:
# configs/yolov8_n_tbank_real_cpu_NAME.py and ..._NAME_stage2.py, fold 0 trained as well, into
# work_dirs/real_kfold_NAME and benchmarks/real_model_kfold_NAME*.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
real=${REAL_ROOT:-../shared/data/real}
data=data/real_1280
full=data/real_full  # the same photos at their own size, as the service gets them
folds=5
suffix=${RECIPE:+_$RECIPE}
root=work_dirs/real_kfold$suffix
config1=configs/yolov8_n_tbank_real_cpu$suffix.py
config2=configs/yolov8_n_tbank_real_cpu${suffix}_stage2.py
results=benchmarks/real_model_kfold$suffix
source tools/real_stages.sh  # final_checkpoint, kfold_parts, service_tiling, tile_size,
# train_stage, training_set

for need in "$config1" "$config2"; do
  [ -e "$need" ] || { echo "no $need: check RECIPE"; exit 1; }
done
# make real's recipe reuses make real's model as fold 0; another recipe needs only its data and
# the demo model that both recipes start from.
start=work_dirs/real_cpu_stage2 maker=real
[ -n "$suffix" ] && start=work_dirs/demo/epoch_8.pth maker=demo
[ -e "$start" ] || { echo "no $start: run 'make $maker' first"; exit 1; }
[ -d "$real" ] || { echo "no real photos at $real (set REAL_ROOT)"; exit 1; }
# the folds, and the same image ids, folds and labels at the photos' own size
kfold_parts "$real" "$data" "$full" "$folds"
"$py" -c "import json, sys
ids = [sorted(im['id'] for im in json.load(open(p))['images']) for p in sys.argv[1:]]
sys.exit(ids[0] != ids[1])" "$data/fold0_val.json" "$data/val.json" \
  || { echo "$data/fold0_val.json is not make real's val.json: delete the fold files"; exit 1; }


# The folds' held-out predictions are committed (tools/save_predictions.py: COCO results from
# score 0.01): a fold predicted once is done, even on a machine that lost its checkpoints, so
# the folds of one estimate can be trained in different sessions on different machines.
saved=${results}_predictions
# predict CONFIG CHECKPOINT FOLD NAME DATA [OPTIONS]: the model's predictions on its held-out
# fold of DATA (tools/test.py with OPTIONS, kept as $root/foldFOLD/NAME.pkl), saved as
# $saved/foldFOLD_NAME.json; skipped when saved.
predict() {
  local pkl=$root/fold$3/$4.pkl out=$saved/fold$3_$4.json
  [ -f "$out" ] && return
  [ -f "$pkl" ] || "$py" tools/test.py "$1" "$2" --work-dir "$root/fold$3/test_$4" --out "$pkl" \
    "${@:6}" --cfg-options "test_dataloader.dataset.data_root=$5/" \
    "test_dataloader.dataset.ann_file=fold$3_val.json" "test_evaluator.ann_file=$5/fold$3_val.json"
  "$py" tools/save_predictions.py "$pkl" --out "$out"
}
# fold_saved FOLD: whether all of the fold's predictions are saved.
fold_saved() {
  local name
  for name in preds preds_tiled preds_service; do
    [ -f "$saved/fold$1_$name.json" ] || return 1
  done
}
# predict_all CONFIG CHECKPOINT FOLD: one pass (preds), tiled (preds_tiled: tiles of side S,
# tile_size CONFIG) and the service's path on the photos at their own size (preds_service; with
# stretched views since 2026-12-04: the folds saved before have none, and their estimates are
# complete. The geometric folds' preds_service_stretch.json are the views' rule's evidence).
predict_all() {
  local size service  # assigned apart from `local`, so that a failing call stops the script
  size=$(tile_size "$1")
  service=$(service_tiling "$size")
  predict "$@" preds "$data"
  predict "$@" preds_tiled "$data" --tile-size "$size"
  predict "$@" preds_service "$full" $service
}
first=0
if [ -z "$suffix" ]; then  # make real's recipe: its model is fold 0's
  fold_saved 0 ||
    predict_all "$config2" "$(final_checkpoint "$config2" work_dirs/real_cpu_stage2)" 0
  first=1
fi
todo=("$@")
[ ${#todo[@]} -gt 0 ] || todo=($(seq $first $((folds - 1))))
for fold in "${todo[@]}"; do  # finished stages and predictions are skipped
  fold_saved "$fold" && continue
  train=data/real_train_fold$fold
  training_set "$data/fold${fold}_train.json" "$data/images" "$train"
  data_options=("train_dataloader.dataset.dataset.data_root=$train/"
    "val_dataloader.dataset.ann_file=fold${fold}_val.json"
    "val_evaluator.ann_file=$data/fold${fold}_val.json")
  checkpoint1=$(final_checkpoint "$config1" "$root/fold$fold/stage1")
  checkpoint2=$(final_checkpoint "$config2" "$root/fold$fold/stage2")
  train_stage "$config1" "$root/fold$fold/stage1" "$checkpoint1" --cfg-options "${data_options[@]}"
  train_stage "$config2" "$root/fold$fold/stage2" "$checkpoint2" --cfg-options "${data_options[@]}" \
    "load_from=$checkpoint1"
  predict_all "$config2" "$checkpoint2" "$fold"
  # what the training did, kept with the predictions: the work dir does not outlive the machine
  [ -f "$saved/fold${fold}_training.json" ] || "$py" tools/summarize_training.py \
    "$root/fold$fold/stage1" "$root/fold$fold/stage2" --out "$saved/fold${fold}_training.json"
done

# score NAME DATA PRED...: the folds cross-calibrated ($results$NAME.json) and all their boxes
# scored by size and folder at a fixed 0.25 ($root/pooled$NAME.json), as labelled and again
# with the reviewed ignore regions (..._reviewed.json: unlabelled logos the review found, on
# which a prediction counts for nothing; benchmarks/real_model_kfold.md).
regions=projects/tbank_logo/real_photos_ignore_regions.json
score() {
  local name=$1 dir=$2 parts=() review
  for fold in $(seq 0 $((folds - 1))); do parts+=("$dir/fold${fold}_val.json"); done
  for review in "" _reviewed; do
    local ignore=(); [ -n "$review" ] && ignore=(--ignore-regions "$regions")
    "$py" tools/cross_calibrate.py --parts "${parts[@]}" --pred "${@:3}" "${ignore[@]}" \
      --out "$results$name$review.json"
    "$py" tools/evaluate.py "$dir/annotations.json" "${@:3}" "${ignore[@]}" \
      --out "$root/pooled$name$review.json"
  done
}
for fold in $(seq 0 $((folds - 1))); do
  fold_saved "$fold" || { echo "fold $fold is not done: re-run to continue"; exit 0; }
done
score "" "$data" "$saved"/fold?_preds.json
score _tiled "$data" "$saved"/fold?_preds_tiled.json
score _service "$full" "$saved"/fold?_preds_service.json
