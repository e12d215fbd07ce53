# Shell helpers for the staged real-photo trainings (sourced by train_real.sh and kfold_real.sh;
# they expect $py, the Python to run).

# final_checkpoint CONFIG WORK_DIR: the checkpoint of the config's last epoch.
final_checkpoint() {
  local epochs
  epochs=$("$py" -W ignore -c "from mmengine import Config
print(Config.fromfile('$1').train_cfg.max_epochs)") || return
  echo "$2/epoch_$epochs.pth"
}
# train_stage CONFIG WORK_DIR FINAL_CHECKPOINT [OPTIONS]: skipped when FINAL_CHECKPOINT exists,
# resumed when WORK_DIR holds an interrupted run.
train_stage() {
  local resume=()
  [ -f "$3" ] && return
  [ -f "$2/last_checkpoint" ] && resume=(--resume)
  "$py" tools/train.py "$1" --work-dir "$2" "${resume[@]}" "${@:4}"
}
