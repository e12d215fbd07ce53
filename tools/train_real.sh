#!/usr/bin/env bash
# `make real`: the real-photo model on this CPU, end to end: about 2.7 h on 2 idle cores
# (demo 13 min, training 71 + 58 min in two stages, evaluation and export about 15). Each stage
# is one run of under 90 min; re-running skips finished stages and resumes an interrupted one
# from its last checkpoint (`tools/train.py --resume`), so the schedule spans working sessions.
#  1. merge the real folders (REAL_ROOT, default ../shared/data/real) dropping duplicate photos,
#     downscaled to 1280 px; split by photo: train 80 % / val 20 %, val halved into `calib`
#     (picks the score threshold) and `test` (reported; never used to pick a threshold or
#     a checkpoint);
#  2. merge the real train split with a third of the synthetic demo train set;
#  3. fine-tune the synthetic demo model (`make demo` runs first when it is missing): stage 1,
#     8 epochs (`yolov8_n_tbank_real_cpu.py`), then stage 2, 6 epochs from stage 1's last
#     checkpoint (`yolov8_n_tbank_real_cpu_stage2.py`: lower rate, squash and colour augmentation);
#  4. on the service's path (the photos at their own size, data/real_full, tiled as the service
#     tiles them), pick the threshold on `calib` and evaluate the last checkpoint on `test`
#     (FP/FN galleries): the exported model is served that way, and its best threshold there
#     is not one pass's (README); evaluate on the original photos of the test and val splits,
#     one pass and tiled, per folder, into benchmarks/real_model_*.md; export ONNX (the input
#     size, with parity) for `make serve`; the training's record (tools/summarize_training.py)
#     into benchmarks/real_model_training_runs.json.
# Re-running reuses the prepared data; delete data/real_1280 data/real_full data/real_train to
# redo it.
# RECIPE=NAME trains another recipe the same way (configs/yolov8_n_tbank_real_cpu_NAME.py and
# ..._NAME_stage2.py, e.g. RECIPE=hires: 960 px, served with 640 px tiles) into
# work_dirs/real_cpu_NAME{,_stage2} and benchmarks/real_model_NAME_*.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
real=${REAL_ROOT:-../shared/data/real}
suffix=${RECIPE:+_$RECIPE}
stage1=${REAL_WORK_DIR:-work_dirs/real_cpu$suffix}
work=${stage1}_stage2  # the final model's work dir
config1=configs/yolov8_n_tbank_real_cpu$suffix.py
config=configs/yolov8_n_tbank_real_cpu${suffix}_stage2.py
data=data/real_1280  # the config's val_data_root
full=data/real_full  # the same photos at their own size, as the service gets them
train=data/real_train  # the config's data_root
for need in "$config1" "$config"; do
  [ -e "$need" ] || { echo "no $need: check RECIPE"; exit 1; }
done

if [ ! -d "$real" ]; then
  echo "skipped: no real photos at $real (set REAL_ROOT)"; exit 0
fi
[ -f work_dirs/demo/epoch_8.pth ] || PYTHON="$py" bash tools/demo.sh  # the starting model
source tools/real_stages.sh  # config_value, final_checkpoint, full_size_parts, service_tiling,
# tile_size, train_stage, training_set, real_split
real_split "$real" "$data"
full_size_parts "$real" "$data" "$full" calib test

training_set "$data/train.json" "$data/images" "$train"
checkpoint1=$(final_checkpoint "$config1" "$stage1")
checkpoint=$(final_checkpoint "$config" "$work")  # the last epoch: no selection on val
train_stage "$config1" "$stage1" "$checkpoint1"
train_stage "$config" "$work" "$checkpoint" --cfg-options "load_from=$checkpoint1"
# what the training did (times, validation by epoch, hard negatives), kept beyond the work dirs
"$py" tools/summarize_training.py "$stage1" "$work" \
  --out "benchmarks/real_model${suffix}_training_runs.json"
tile=$(tile_size "$config") input=$(config_value "$config" "max(cfg.img_scale)")
service=$(service_tiling "$tile")
# served SPLIT OUT_DIR [OPTIONS]: tools/test.py on the service's path over $full/SPLIT.json.
served() {
  "$py" tools/test.py "$config" "$checkpoint" --work-dir "$work/test" --out-dir "$2" \
    $service --cfg-options "test_dataloader.dataset.data_root=$full/" \
    "test_dataloader.dataset.ann_file=$1.json" "test_evaluator.ann_file=$full/$1.json" "${@:3}"
}
served calib "$work/calib" --calibrate
thr=$("$py" -c "import json; print(json.load(open('$work/calib/score_threshold.json'))['score_thr'])")
served test "$work/eval_test" --cfg-options "test_evaluator.score_thr=$thr"
for split in test val; do
  out=benchmarks/real_model${suffix}_$split
  "$py" tools/benchmark_real.py "$config" "$checkpoint" --real-root "$real" --score-thr "$thr" \
    --split "$data/$split.json" --out "${out}_single"
  "$py" tools/benchmark_real.py "$config" "$checkpoint" --real-root "$real" --score-thr "$thr" \
    --split "$data/$split.json" --out "${out}_tiled" \
    --tile-size "$tile" --tile-max-side $((3 * tile))
done
"$py" tools/deploy.py "$config" "$checkpoint" --work-dir "$work/deploy" --score-thr "$thr" \
  --deploy-cfg "deploy_configs/detection_onnxruntime_static-${input}x$input.py" \
  --images "$data/images" --num-images 16
