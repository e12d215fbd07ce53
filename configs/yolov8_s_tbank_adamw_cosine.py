# YOLOv8-s T-Bank: AdamW with a linear warm-up and cosine annealing, lr scaled with the batch.
# MMYOLO's SGD + YOLOv5ParamSchedulerHook is replaced by MMEngine's optimizer wrapper and
# param_scheduler; the data, model and evaluation are those of yolov8_s_tbank.py.
_base_ = './yolov8_s_tbank.py'

# ========================Frequently modified parameters======================
# Linear scaling rule (Goyal et al., 2017): lr = base_lr * total batch / 64, where the total
# batch is what one optimizer step sees: batch per GPU x GPUs x accumulated iterations.
# base_lr 0.001 at 64 is RTMDet's AdamW setting (0.004 at 8 GPUs x 32 = 256).
base_lr = 0.001
lr_base_batch_size = 64
train_batch_size_per_gpu = _base_.train_batch_size_per_gpu  # 16
# Processes of the run (GPUs, or CPU processes with gloo). Only the lr uses it; tools/train.py
# warns when the launcher starts another number. These values are baked into the dicts
# below, so a child config (or --cfg-options) changing them must re-state optim_wrapper.
num_gpus = 1
accumulative_counts = 1  # gradient accumulation: one optimizer step every N iterations
total_batch_size = train_batch_size_per_gpu * num_gpus * accumulative_counts
lr = base_lr * total_batch_size / lr_base_batch_size
weight_decay = 0.05  # AdamW's decoupled decay (not applied to norms and biases)
warmup_epochs = 3  # linear warm-up from lr * warmup_start_factor, converted to iterations
warmup_start_factor = 1e-3
min_lr_ratio = 0.05  # the cosine ends at lr * min_lr_ratio
# Mixed precision (MMEngine's AmpOptimWrapper, float16 with a dynamic loss scale) needs a GPU:
# AmpOptimWrapper refuses to build without one. `tools/train.py --amp` does the same at run
# time and is ignored on a CPU machine.
use_amp = False

# ===============================Unmodified in most cases====================
optim_wrapper = dict(
    type='AmpOptimWrapper' if use_amp else 'OptimWrapper',
    accumulative_counts=accumulative_counts,
    clip_grad=dict(max_norm=10.0),
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=lr,
        betas=(0.9, 0.999),
        weight_decay=weight_decay,
        # YOLOv5OptimizerConstructor (kept from MMYOLO) puts norms and biases in groups
        # without weight decay and reads the batch from here.
        batch_size_per_gpu=train_batch_size_per_gpu))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=warmup_start_factor,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=lr * min_lr_ratio,
        by_epoch=True,
        begin=warmup_epochs,
        end=_base_.max_epochs,
        T_max=_base_.max_epochs - warmup_epochs,
        convert_to_iter_based=True),
]

# MMEngine's hook runs `param_scheduler`; MMYOLO's YOLOv5ParamSchedulerHook would override it.
default_hooks = dict(param_scheduler=dict(_delete_=True, type='ParamSchedulerHook'))
