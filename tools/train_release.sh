#!/usr/bin/env bash
# `make release-train RECIPE=NAME`: a release member, trained on *every* development photo.
# The k-fold (`make real-kfold RECIPE=NAME`) already estimated the recipe, so nothing is held
# back now: the same two stages as `make real` (configs/yolov8_n_tbank_real_cpu_NAME{,_stage2}.py,
# from the synthetic demo model), on all real photos (deduplicated, 1280 px) plus the same third
# of the synthetic demo set, without validation (every photo is a training photo). Each stage is
# one run of under 90 min on the 2-core machine; re-running skips a finished stage and resumes an
# interrupted one. Then `make release` (tools/release.py) exports the members into weights/.
# Writes work_dirs/release_NAME{,_stage2} and data/release_train; the training's record goes to
# work_dirs/release_NAME_stage2/training_runs.json.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
real=${REAL_ROOT:-../shared/data/real}
recipe=${RECIPE:?set RECIPE, e.g. RECIPE=geom}
stage1=work_dirs/release_$recipe
work=${stage1}_stage2
config1=configs/yolov8_n_tbank_real_cpu_$recipe.py
config=configs/yolov8_n_tbank_real_cpu_${recipe}_stage2.py
data=data/real_1280
train=data/release_train
for need in "$config1" "$config"; do
  [ -e "$need" ] || { echo "no $need: check RECIPE"; exit 1; }
done
[ -d "$real" ] || { echo "no real photos at $real (set REAL_ROOT)"; exit 1; }
[ -f work_dirs/demo/epoch_8.pth ] || PYTHON="$py" bash tools/demo.sh  # the starting model
source tools/real_stages.sh  # final_checkpoint, real_split, train_stage, training_set
real_split "$real" "$data"  # $data/annotations.json: every photo, once
training_set "$data/annotations.json" "$data/images" "$train"
# The training set replaces the config's; val_begin past the schedule: no photo is held out.
options=("train_dataloader.dataset.dataset.data_root=$train/" train_cfg.val_begin=1000)
checkpoint1=$(final_checkpoint "$config1" "$stage1")
checkpoint=$(final_checkpoint "$config" "$work")
train_stage "$config1" "$stage1" "$checkpoint1" --cfg-options "${options[@]}"
train_stage "$config" "$work" "$checkpoint" --cfg-options "${options[@]}" "load_from=$checkpoint1"
"$py" tools/summarize_training.py "$stage1" "$work" --out "$work/training_runs.json"
