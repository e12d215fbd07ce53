# CPU demo: YOLOv8-n at 320 px trained from scratch on the embedded synthetic data
# (`make demo` generates it into data/synthetic_demo/). Sized to train in minutes on 2 cores.
_base_ = './yolov8_n_tbank.py'

data_root = 'data/synthetic_demo/'
img_scale = (320, 320)  # width, height

max_epochs = 8
save_epoch_intervals = 4
train_batch_size_per_gpu = 8  # more, smaller steps: a short schedule converges faster
train_num_workers = 1
persistent_workers = True
base_lr = 0.002  # AdamW: converges faster than SGD on a short from-scratch schedule
affine_scale = 0.25

# No Mosaic: at 320 px it would halve logos that are already small, and with so few
# iterations the plain letterboxed image trains faster. The rest is MMYOLO's YOLOv8 pipeline.
train_pipeline = [
    *_base_.pre_transform,
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=True, pad_val=dict(img=114.0)),
    dict(type='YOLOv5RandomAffine',
         max_rotate_degree=0.0,
         max_shear_degree=0.0,
         scaling_ratio_range=(1 - affine_scale, 1 + affine_scale),
         max_aspect_ratio=100,
         border_val=(114, 114, 114)),
    *_base_.last_transform,
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=False, pad_val=dict(img=114)),
    dict(type='LoadAnnotations', with_bbox=True, _scope_='mmdet'),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'pad_param')),
]

train_dataloader = dict(
    batch_size=train_batch_size_per_gpu,
    num_workers=train_num_workers,
    persistent_workers=persistent_workers,
    pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=train_num_workers,
    persistent_workers=persistent_workers,
    pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + _base_.val_ann_file)
test_evaluator = val_evaluator

# Short schedules train better with AdamW (Ultralytics picks AdamW, lr 0.002 for one class,
# below 10k iterations); MMYOLO's constructor still splits weights / norms / biases.
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=base_lr,
        betas=(0.937, 0.999),
        weight_decay=0.0005,
        batch_size_per_gpu=train_batch_size_per_gpu))
default_hooks = dict(
    # MMYOLO warms up for 3 epochs and at least 1000 iterations: half of this schedule.
    param_scheduler=dict(
        max_epochs=max_epochs, warmup_epochs=1, warmup_mim_iter=100, warmup_bias_lr=0.01),
    checkpoint=dict(interval=save_epoch_intervals, max_keep_ckpts=1),
    logger=dict(interval=20))
custom_hooks = [  # MMYOLO's EMA, without the Mosaic switch (there is no Mosaic here)
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True,
         strict_load=False, priority=49),
    # NHWC convolutions: the same float32 training, faster on CPU (oneDNN).
    dict(type='ChannelsLastHook'),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=save_epoch_intervals, dynamic_intervals=None)
