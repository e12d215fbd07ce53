# Shell helpers for the staged real-photo trainings and their data (sourced by train_real.sh
# and kfold_real.sh; they expect $py, the Python to run).

# config_value CONFIG EXPR: the Python expression EXPR of the loaded config `cfg`, printed.
config_value() {
  "$py" -W ignore -c "from mmengine import Config
cfg = Config.fromfile('$1')
print($2)"
}
# final_checkpoint CONFIG WORK_DIR: the checkpoint of the config's last epoch.
final_checkpoint() {
  local epochs
  epochs=$(config_value "$1" cfg.train_cfg.max_epochs) || return
  echo "$2/epoch_$epochs.pth"
}
# tile_size CONFIG: the side of the config's inference tiles: its `inference_tile_size`, else
# its longer input side.
tile_size() {
  config_value "$1" "cfg.get('inference_tile_size') or max(cfg.img_scale)"
}
# train_stage CONFIG WORK_DIR FINAL_CHECKPOINT [OPTIONS]: skipped when FINAL_CHECKPOINT exists,
# resumed when WORK_DIR holds an interrupted run.
train_stage() {
  local resume=()
  [ -f "$3" ] && return
  [ -f "$2/last_checkpoint" ] && resume=(--resume)
  "$py" tools/train.py "$1" --work-dir "$2" "${resume[@]}" "${@:4}"
}
# training_set REAL_JSON IMAGES_DIR OUT_DIR: the real photos of REAL_JSON merged with a third of
# the synthetic demo training set (the same third for `make real` and every fold); skipped when
# OUT_DIR holds it already.
training_set() {
  [ -f "$3/annotations.json" ] && return
  if [ ! -f data/synthetic_subset/val.json ]; then  # its "val" part is the third
    "$py" tools/data/split_coco.py data/synthetic_demo/train.json --out-dir data/synthetic_subset \
      --val-fraction 0.35 --seed 0
  fi
  "$py" tools/data/merge_coco.py --src "$1:$2" --min-side 8 \
    --src data/synthetic_subset/val.json:data/synthetic_demo/images --out-dir "$3"
}
# merge_real REAL_ROOT OUT_DIR [OPTIONS]: every folder of REAL_ROOT with an annotations.json
# merged into OUT_DIR, copies of one photo (same 32-hex file-name prefix) kept once; OPTIONS go
# to merge_coco.py (e.g. --max-side 1280).
merge_real() {
  local srcs=() d
  for d in "$1"/*/; do [ -f "$d/annotations.json" ] && srcs+=(--src "$d"); done
  "$py" tools/data/merge_coco.py "${srcs[@]}" --out-dir "$2" --group-regex '^([0-9a-f]{32})' \
    "${@:3}"
}
# real_split REAL_ROOT DATA_DIR: make real's data: the real folders merged (merge_real) into
# 1280-px copies, split by photo into train.json (80 %) and val.json (20 %), val halved into
# calib.json (picks the score threshold) and test.json (reported); skipped when done.
real_split() {
  [ -f "$2/test.json" ] && return
  merge_real "$1" "$2" --max-side 1280
  "$py" tools/data/split_coco.py "$2/annotations.json" --out-dir "$2" --val-fraction 0.2 --seed 0
  "$py" tools/data/split_coco.py "$2/val.json" --out-dir "$2/halves" --val-fraction 0.5 --seed 1
  mv "$2/halves/train.json" "$2/calib.json" && mv "$2/halves/val.json" "$2/test.json"
  rmdir "$2/halves"
}
# kfold_parts REAL_ROOT DATA_DIR FULL_DIR FOLDS: the merged photos (real_split) cut into FOLDS
# folds by photo (DATA_DIR/foldK_{train,val}.json, the k-fold's frozen assignment: seed 0) and
# each fold's val part at the photos' own size (FULL_DIR/foldK_val.json); skipped where done.
kfold_parts() {
  real_split "$1" "$2"
  [ -f "$2/fold0_val.json" ] ||
    "$py" tools/data/split_coco.py "$2/annotations.json" --out-dir "$2" --folds "$4" --seed 0
  full_size_parts "$1" "$2" "$3" $(seq -f "fold%g_val" 0 $(($4 - 1)))
}
# full_size_parts REAL_ROOT DATA_DIR FULL_DIR NAME...: the photos of DATA_DIR/NAME.json at their
# own size, as the service gets them: the real folders merged once more without downscaling into
# FULL_DIR (the same image ids; labels in original pixels), and FULL_DIR/NAME.json the same
# images as DATA_DIR/NAME.json; skipped where done.
full_size_parts() {
  [ -f "$3/annotations.json" ] || merge_real "$1" "$3"
  "$py" -c "import os.path as osp, sys
from mmdet_ext.data_tools.coco_io import load_coco, save_coco, subset_coco
data, full, names = sys.argv[1], sys.argv[2], sys.argv[3:]
coco = None
for name in names:
    if osp.exists(f'{full}/{name}.json'):
        continue
    coco = coco or load_coco(f'{full}/annotations.json')
    ids = {im['id'] for im in load_coco(f'{data}/{name}.json')['images']}
    part = subset_coco(coco, lambda im: im['id'] in ids)
    assert len(part['images']) == len(ids), f'{name}: {full} lacks photos of {data}'
    save_coco(part, f'{full}/{name}.json')" "${@:2}"
}
# service_tiling TILE: tools/test.py's options for the service's path with tiles of side TILE,
# as the service's defaults resolve them (ServiceSettings.tiling_sides: tiled above 2 TILE after
# shrinking to 4 TILE; the photos not tiled seen in stretched views too, ServiceSettings.stretch).
service_tiling() {
  "$py" -W ignore -c "from projects.tbank_logo.service.settings import ServiceSettings
settings = ServiceSettings()
low, high = settings.tiling_sides($1)
stretch = ['--stretch', f'{settings.stretch:g}'] if settings.stretch else []
print('--tile-size $1 --tile-min-side', low, '--tile-max-side', high, *stretch)"
}
