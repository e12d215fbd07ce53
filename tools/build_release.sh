#!/usr/bin/env bash
# `make release [RELEASE_MEMBERS="hires geom"]` (the default; one name: one model): weights/ from
# the members `make release-train RECIPE=NAME` trained on every photo (tools/release.py:
# exports with parity, stripped checkpoints, ensemble.json, manifest.json), built aside and
# copied in once complete. The served threshold and the k-fold estimate come
# from the k-fold's saved out-of-fold predictions (benchmarks/real_model_kfold_*_predictions) on
# the path the release is served on:
# - one member: the service's path with stretched views (the service's default for one model),
#   foldK_preds_service_stretch.json, the folds that have them (saved with --stretch 2);
# - two or more: the members' fused predictions, foldK_preds_service.json (no stretched views,
#   as the ensemble's threshold was calibrated; `make real-ensemble` fuses them).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
real=${REAL_ROOT:-../shared/data/real}
members=(${RELEASE_MEMBERS:-hires geom})
data=data/real_1280
full=data/real_full
[ -d "$real" ] || { echo "no real photos at $real (set REAL_ROOT)"; exit 1; }
source tools/real_stages.sh  # kfold_parts
kfold_parts "$real" "$data" "$full" 5  # the folds' ground truth, at the photos' own size

stretch=()
if [ ${#members[@]} -eq 1 ]; then
  saved=benchmarks/real_model_kfold_${members[0]}_predictions name=preds_service_stretch
  stretch=(--stretch 2)
else
  saved=benchmarks/real_model_kfold_$(IFS=+; echo "${members[*]}")_predictions name=preds_service
fi
preds=() parts=()
for fold in 0 1 2 3 4; do
  [ -f "$saved/fold${fold}_$name.json" ] || continue
  preds+=("$saved/fold${fold}_$name.json") parts+=("$full/fold${fold}_val.json")
done
[ ${#preds[@]} -ge 2 ] || { echo "fewer than two folds of $saved/*_$name.json"; exit 1; }
member_args=()
for m in "${members[@]}"; do member_args+=(--member "$m"); done
staging=work_dirs/release_staging  # the old release stays until the new one is complete
rm -rf "$staging"
"$py" tools/release.py "${member_args[@]}" --kfold-pred "${preds[@]}" --kfold-parts "${parts[@]}" \
  "${stretch[@]}" --out "$staging"
rm -rf weights/*/ weights/*.json  # README.md stays
cp -r "$staging"/. weights/
