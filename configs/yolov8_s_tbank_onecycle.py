# YOLOv8-s T-Bank: AdamW with MMEngine's OneCycleLR (1cycle policy, Smith & Topin 2017)
# instead of warm-up + cosine. The peak lr is the scaled lr of the parent config.
_base_ = './yolov8_s_tbank_adamw_cosine.py'

onecycle_pct_start = 0.3  # fraction of the iterations spent raising the lr to its peak
onecycle_div_factor = 25.0  # starts at peak / 25
onecycle_final_div_factor = 1e3  # ends at start / 1000

# One scheduler over the whole run, stepped every iteration (epochs converted to iterations).
param_scheduler = dict(
    _delete_=True,
    type='OneCycleLR',
    eta_max=_base_.lr,
    pct_start=onecycle_pct_start,
    anneal_strategy='cos',
    div_factor=onecycle_div_factor,
    final_div_factor=onecycle_final_div_factor,
    by_epoch=True,
    begin=0,
    end=_base_.max_epochs,
    convert_to_iter_based=True)
