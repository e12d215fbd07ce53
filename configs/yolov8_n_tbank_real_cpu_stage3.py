# Real-photo model, stage 3 (an experiment; `make real` stops at stage 2): four more epochs
# from stage 2's last checkpoint (`yolov8_n_tbank_real_cpu_stage2.py`) at half its learning
# rate, squashing half of the photos: on the calibration half of val, the squashed folders
# (annagubinaa, nazgulitos) are where stage 2 still scores true logos lowest. One run of about
# 40 min on the 2-core machine; results and why it is not adopted:
# benchmarks/real_model_training.md.
_base_ = './yolov8_n_tbank_real_cpu_stage2.py'

load_from = 'work_dirs/real_cpu_stage2/epoch_6.pth'  # stage 2 (`make real` trains it)

max_epochs = 4
base_lr = 0.00025
squash_prob = 0.5

train_pipeline = [
    dict(t, prob=squash_prob) if t['type'] == 'mmcv.RandomApply' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
optim_wrapper = dict(optimizer=dict(lr=base_lr))
default_hooks = dict(param_scheduler=dict(max_epochs=max_epochs, warmup_bias_lr=base_lr))
custom_hooks = [  # one mining round, after stage 2's `mining_epoch`
    dict(h, interval=max_epochs) if h['type'] == 'HardNegativeMiningHook' else h
    for h in _base_.custom_hooks
]
train_cfg = dict(max_epochs=max_epochs)
